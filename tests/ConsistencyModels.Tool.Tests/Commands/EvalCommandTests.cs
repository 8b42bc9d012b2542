using System.Text.Json.Nodes;
using ConsistencyModels.IO;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary><c>cm eval</c> end to end on tiny random-weight models and the repository's two test textures.</summary>
public class EvalCommandTests : SingleThreadFixture
{
    private static readonly string[] TimingKeys = ["seconds", "sample_seconds", "ms_per_sample"];

    private static JsonObject Eval(TempFolder tmp, string model, string json, params string[] extra)
    {
        string[] seed = extra.Contains("--seed") ? [] : ["--seed", "3"];
        var r = CliHarness.RunReal(["eval", "--model", model, "--data", TestModels.DataFolder, "--count", "6", "--size", "16",
            "--json", json, .. seed, .. extra]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr + r.Stdout);
        return JsonNode.Parse(File.ReadAllText(json))!.AsObject();
    }

    [Test]
    public void JsonHasTheKeysAndIsDeterministicForASeed()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        var a = Eval(tmp, model, tmp.File("a.json"));
        var b = Eval(tmp, model, tmp.File("b.json"));
        foreach (string key in new[] { "swd_mean", "swd_per_level", "spectrum_distance", "seam_error", "diversity", "nfe",
                     "nearest_crop", "model", "sampler", "steps", "count", "size", "seconds" })
            Assert.That(a.ContainsKey(key), Is.True, key);
        Assert.That(a.ContainsKey("ode_error"), Is.False);
        Assert.That(a.ContainsKey("real_floor"), Is.False);
        Assert.That((int)a["nfe"]!, Is.EqualTo(1));
        Assert.That((string)a["sampler"]!, Is.EqualTo("consistency"));
        Assert.That((int)a["count"]!, Is.EqualTo(6));
        Assert.That((double)a["swd_mean"]!, Is.GreaterThan(0));
        foreach (string key in TimingKeys) { a.Remove(key); b.Remove(key); }
        Assert.That(b.ToJsonString(), Is.EqualTo(a.ToJsonString()), "same seed, same numbers");

        var c = Eval(tmp, model, tmp.File("c.json"), "--seed", "4");
        Assert.That((double)c["swd_mean"]!, Is.Not.EqualTo((double)a["swd_mean"]!), "another seed gives other samples");
    }

    [Test]
    public void RealAddsTheFloorAndGridIsWritten()
    {
        using var tmp = new TempFolder();
        string model = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var a = Eval(tmp, model, tmp.File("a.json"), "--real", "--sampler", "euler", "--steps", "2", "--grid", tmp.File("g.png"));
        var floor = a["real_floor"]!.AsObject();
        foreach (string key in new[] { "swd_mean", "swd_per_level", "spectrum_distance", "seam_error", "diversity", "nearest_crop" })
            Assert.That(floor.ContainsKey(key), Is.True, key);
        // Two real sets are far closer to each other than random-weight noise is to the real set.
        Assert.That((double)floor["swd_mean"]!, Is.LessThan((double)a["swd_mean"]!));
        Assert.That((int)a["nfe"]!, Is.EqualTo(2));
        Assert.That(File.Exists(tmp.File("g.png")), Is.True);
    }

    [Test]
    public void TeacherAgainstItselfWithTheSameSolverHasZeroOdeError()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var same = Eval(tmp, teacher, tmp.File("a.json"), "--sampler", "heun", "--steps", "18", "--teacher", teacher);
        Assert.That((double)same["ode_error"]!, Is.EqualTo(0.0));
        Assert.That((int)same["nfe"]!, Is.EqualTo(35));
        // One Euler step from the same x_T lands elsewhere.
        var euler = Eval(tmp, teacher, tmp.File("b.json"), "--sampler", "euler", "--steps", "1", "--teacher", teacher);
        Assert.That((double)euler["ode_error"]!, Is.GreaterThan(1e-3));
    }

    [Test]
    public void Bf16PrecisionScoresTheSameSamplesUpToRounding()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        string model = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        var fp32 = Eval(tmp, model, tmp.File("a.json"), "--teacher", teacher);
        var bf16 = Eval(tmp, model, tmp.File("b.json"), "--teacher", teacher, "--precision", "bf16");
        Assert.That((string)fp32["precision"]!, Is.EqualTo("fp32"));
        Assert.That((string)bf16["precision"]!, Is.EqualTo("bf16"));
        double e32 = (double)fp32["ode_error"]!, e16 = (double)bf16["ode_error"]!;
        TestContext.Out.WriteLine($"ODE error fp32 {e32:E3}, bf16 {e16:E3}; SWD {(double)fp32["swd_mean"]!:F2} vs {(double)bf16["swd_mean"]!:F2}");
        Assert.That(e16, Is.Not.EqualTo(e32), "bf16 really changes the arithmetic");
        Assert.That(Math.Abs(e16 - e32), Is.LessThan(0.05 * e32 + 0.01), "same samples up to bf16 rounding");
        var bad = CliHarness.RunReal(["eval", "--model", model, "--data", TestModels.DataFolder, "--precision", "fp8"]);
        Assert.That(bad.ExitCode, Is.Not.EqualTo(0));
        Assert.That(bad.Stderr + bad.Stdout, Does.Contain("fp32 or bf16"));
    }

    [Test]
    public void StochasticWithZeroChurnIsHeunAndChurnNeedsTheStochasticSampler()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        var heun = Eval(tmp, teacher, tmp.File("h.json"), "--sampler", "heun", "--steps", "4");
        var zero = Eval(tmp, teacher, tmp.File("z.json"), "--sampler", "stochastic", "--steps", "4", "--churn", "0");
        var churned = Eval(tmp, teacher, tmp.File("c.json"), "--sampler", "stochastic", "--steps", "4", "--churn", "40");
        Assert.That((double)zero["swd_mean"]!, Is.EqualTo((double)heun["swd_mean"]!), "S_churn = 0 adds no noise: Heun");
        Assert.That((double)zero["churn"]!, Is.EqualTo(0.0));
        Assert.That((double)churned["swd_mean"]!, Is.Not.EqualTo((double)heun["swd_mean"]!));
        var bad = CliHarness.RunReal(["eval", "--model", teacher, "--data", TestModels.DataFolder, "--sampler", "heun", "--churn", "5"]);
        Assert.That(bad.ExitCode, Is.Not.EqualTo(0));
        Assert.That(bad.Stderr + bad.Stdout, Does.Contain("--churn applies to --sampler stochastic only"));
    }

    [Test]
    public void TeacherAddsOdeErrorForAConsistencyModel()
    {
        using var tmp = new TempFolder();
        string teacher = TestModels.Save(tmp.File("t.safetensors"), ModelKind.Teacher);
        string student = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency, seed: 2);
        var a = Eval(tmp, student, tmp.File("a.json"), "--teacher", teacher);
        Assert.That((double)a["ode_error"]!, Is.GreaterThan(0).And.LessThan(10));
        Assert.That((string)a["ode_error_teacher"]!, Is.EqualTo(teacher));
    }

    [Test]
    public void AConsistencyModelIsNoTeacher()
    {
        using var tmp = new TempFolder();
        string student = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        var r = CliHarness.RunReal("eval", "--model", student, "--data", TestModels.DataFolder, "--count", "4", "--size", "16", "--teacher", student);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Usage), r.Stderr);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.ErrorLines[0], Does.Contain($"--teacher {student}: is a consistency model, expected a diffusion teacher"));
    }

    [Test]
    public void EmptyDataFolderIsOneLine()
    {
        using var tmp = new TempFolder();
        string student = TestModels.Save(tmp.File("s.safetensors"), ModelKind.Consistency);
        Directory.CreateDirectory(tmp.File("empty"));
        var r = CliHarness.RunReal("eval", "--model", student, "--data", tmp.File("empty"), "--count", "4", "--size", "16");
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Failure), r.Stderr);
        Assert.That(r.ErrorLines, Has.Length.EqualTo(1));
        Assert.That(r.ErrorLines[0], Does.StartWith($"error: --data {tmp.File("empty")}: "));
    }
}
