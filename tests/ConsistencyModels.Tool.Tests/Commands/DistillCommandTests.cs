using ConsistencyModels.Diffusion;
using ConsistencyModels.IO;
using ConsistencyModels.Naming;
using ConsistencyModels.Sampling;
using ConsistencyModels.Tool.Distill;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary>
/// <c>cm distill</c> end to end for every method of the table on the tiny config: a few steps on tiny data, a model
/// whose metadata carries the method's record, and <c>cm sample</c> accepting it with the model's default plan.
/// </summary>
public class DistillCommandTests : SingleThreadFixture
{

    // Small enough for seconds per method: 2 iterations of batch 2 on 16² crops, short grids, 4 rectified pairs.
    private static string[] Small(DistillMethod m) => m.Method switch
    {
        TrainingMethod.Cd or TrainingMethod.DirectCd => ["--n", "4"],
        TrainingMethod.Ct or TrainingMethod.Ict => ["--n", "4", "--n-start", "2", "--config", "tiny"],
        TrainingMethod.Progressive => ["--n", "4"],
        TrainingMethod.Rectified => ["--n", "2", "--pairs", "4"],
        _ => throw new ArgumentOutOfRangeException(nameof(m), m.Method, "a new method needs its small settings here"),
    };

    public static IEnumerable<TestCaseData> Methods() =>
        DistillMethods.All.Select(m => new TestCaseData(m.Method).SetArgDisplayNames(m.Name));

    [TestCaseSource(nameof(Methods))]
    public void TrainsAFewStepsAndWritesAModelThatSampleAccepts(TrainingMethod method)
    {
        var m = DistillMethods.Of(method);
        using var tmp = new TempFolder();
        string data = tmp.File("data");
        Directory.CreateDirectory(data);
        File.Copy(RepoFiles.Find("tests/data/brick.png"), Path.Combine(data, "brick.png"));
        string teacher = TestModels.Save(tmp.File("teacher.safetensors"), ModelKind.Teacher);
        string outDir = tmp.File("run");
        string[] inputs = [.. m.NeedsTeacher ? new[] { "--teacher", teacher } : [], .. m.ReadsData ? new[] { "--data", data } : []];
        var r = CliHarness.RunReal(["distill", "--method", m.Name, .. inputs, "--out", outDir, "--iters", "2", "--batch", "2", "--crop", "16",
            "--sample-every", "0", "--checkpoint-every", "1", "--log-every", "1", .. Small(m)]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr + r.Stdout);

        string model = Path.Combine(outDir, "model.safetensors");
        var metadata = ModelFile.ReadMetadata(model);
        Assert.That(metadata.Method, Is.EqualTo(method));
        Assert.That(metadata.Kind, Is.EqualTo(m.Result));
        Assert.That(metadata.Sampling, Is.EqualTo(m.Sampling));
        Assert.That(metadata.TrainingIterations, Is.EqualTo(2));
        Assert.That(metadata.CropSize, Is.EqualTo(16));
        Assert.That(metadata.DiffusionForm, Is.EqualTo(m.Form ?? DiffusionFormKind.Ve), "rectified records its form (default flow)");
        if (method == TrainingMethod.Progressive)
            Assert.That(metadata.SamplingSigmas, Has.Length.EqualTo(2), "--n 4 halved over log2(4) = 2 rounds: a 1-step grid");
        // The 2-step σ is searched for every model sampled in a few steps (τ, or few-step Euler's σ₁).
        Assert.That(metadata.MultistepTaus, Has.Length.EqualTo(1));
        Assert.That(r.Stdout, Does.Contain("2-step σ search"));

        // cm sample with no --sampler/--steps uses the model's plan: consistency 1 step, or the few-step Euler plan.
        var sampler = SamplingPlan.DefaultSampler(metadata);
        int steps = SamplingPlan.DefaultSteps(metadata, sampler);
        Assert.That(sampler, Is.EqualTo(m.Sampling == SamplingKind.Consistency ? SamplerKind.Consistency : SamplerKind.Euler));
        var s = CliHarness.RunReal("sample", "--model", model, "--out", tmp.File("g.png"), "--count", "2", "--size", "16");
        Assert.That(s.ExitCode, Is.EqualTo(0), s.Stderr);
        Assert.That(s.Stdout, Does.Contain($"{EnumNames.Of(sampler)}, {steps} step{(steps == 1 ? "" : "s")}"));
        Assert.That(File.Exists(tmp.File("g.png")));
    }

    [Test]
    public void RectifiedSamplesWithItsFewStepPlanNotEighteenHeunSteps()
    {
        var metadata = new ModelMetadata
        {
            Kind = ModelKind.Teacher, Config = TestModels.Config(), Method = TrainingMethod.Rectified, Sampling = SamplingKind.FewStep,
        };
        Assert.That(SamplingPlan.DefaultSampler(metadata), Is.EqualTo(SamplerKind.Euler));
        Assert.That(SamplingPlan.DefaultSteps(metadata, SamplerKind.Euler), Is.EqualTo(2));
        var plan = SamplingPlan.For(metadata, 2);
        Assert.That(plan.Sigmas[1], Is.GreaterThan(1.0), "the second evaluation at a mid-trajectory σ, not at σmin");
    }
}
