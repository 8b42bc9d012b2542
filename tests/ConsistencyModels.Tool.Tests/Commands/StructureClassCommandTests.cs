using ConsistencyModels.Imaging;
using System.Text.Json.Nodes;
using ConsistencyModels.Data;
using ConsistencyModels.IO;
using ConsistencyModels.Metrics.Structure;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary><c>cm train-classifier</c> and <c>cm eval --classifier/--pictures</c> end to end on the two test textures as classes.</summary>
public class StructureClassCommandTests : SingleThreadFixture
{
    private static string ClassData(TempFolder tmp)
    {
        string root = tmp.File("data");
        foreach (string name in new[] { "brick", "grass" })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            File.Copy(Path.Combine(TestModels.DataFolder, name + ".png"), Path.Combine(root, name, name + ".png"));
        }
        return root;
    }

    private static string TrainClassifier(TempFolder tmp, string data)
    {
        string file = tmp.File("classifier.safetensors");
        var r = CliHarness.RunReal("train-classifier", "--data", data, "--out", file, "--crop", "32", "--iters", "40", "--batch", "8", "--held-out", "40");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr + r.Stdout);
        Assert.That(r.Stdout, Does.Contain("held-out accuracy"));
        return file;
    }

    [Test]
    public void TrainClassifierWritesAClassifierWithMetadataAndRefusesToOverwrite()
    {
        using var tmp = new TempFolder();
        string data = ClassData(tmp);
        string file = TrainClassifier(tmp, data);
        var (classifier, meta) = StructureClassifierFile.Load(file);
        classifier.Dispose();
        Assert.That(meta.Config.ClassNames, Is.EqualTo(new[] { "brick", "grass" }));
        Assert.That(meta.Config.CropSize, Is.EqualTo(32));
        Assert.That(meta.Iterations, Is.EqualTo(40));
        Assert.That(meta.HeldOutCount, Is.EqualTo(40));
        Assert.That(meta.HeldOutAccuracy, Is.InRange(0.0, 1.0));
        Assert.That(meta.DataHash, Is.EqualTo(TextureDataset.Load(data).Hash));
        var json = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(file, ".json")))!;
        Assert.That((double)json["heldOutAccuracy"]!, Is.EqualTo(meta.HeldOutAccuracy));

        var again = CliHarness.RunReal("train-classifier", "--data", data, "--out", file, "--crop", "32", "--iters", "1");
        Assert.That(again.ExitCode, Is.EqualTo(ExitCodes.Failure));
        Assert.That(again.Stderr, Does.Contain("exists; pass --force"));
    }

    [Test]
    public void EvalReportsTheStructureClassTestAndWritesTheClassPictures()
    {
        using var tmp = new TempFolder();
        string data = ClassData(tmp);
        string classifier = TrainClassifier(tmp, data);
        string model = TestModels.Save(tmp.File("m.safetensors"), ModelKind.Consistency, ["brick", "grass"]);
        string json = tmp.File("e.json"), pictures = tmp.File("p.png");
        var r = CliHarness.RunReal("eval", "--model", model, "--data", data, "--count", "6", "--size", "32", "--json", json,
            "--classifier", classifier, "--pictures", pictures);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr + r.Stdout);
        Assert.That(r.Stdout, Does.Contain("structure class test").And.Contain("worst class").And.Contain("(no structure)"));
        Assert.That(r.Stdout, Does.Contain("real-normalized").And.Contain("32 px").And.Contain("(coarse)"));

        var root = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.That((string)root["real_crops"]!, Does.StartWith("class-balanced"), "the model's classes are the data's");
        Assert.That((int)root["structure_class"]!["real"]!["counts"]!["brick"]!, Is.EqualTo(3), "3 of 6 balanced real crops per class");
        var s = root["structure_class"]!;
        Assert.That((string)s["classifier"]!, Is.EqualTo(classifier));
        var samples = s["samples"]!;
        Assert.That((double)samples["overall"]!, Is.InRange(0.0, 1.0));
        Assert.That((double)samples["no_structure"]! + (double)samples["overall"]!, Is.InRange(0.0, 1.0));
        Assert.That((double)s["phase_randomized_rejected"]!, Is.InRange(0.0, 1.0));
        Assert.That((int)samples["counts"]!["brick"]! + (int)samples["counts"]!["grass"]!, Is.EqualTo(6), "every sample scored, classes in turn");
        Assert.That((int)s["real"]!["counts"]!["brick"]! + (int)s["real"]!["counts"]!["grass"]!, Is.EqualTo(6));
        Assert.That((double)s["ceiling"]!, Is.EqualTo(StructureClassifierFile.Load(classifier).Metadata.HeldOutAccuracy));

        // Two rows (classes) of real + 2 samples; each cell a 32² image tiled 2×2, 4 px padding, a 7 px label line.
        var png = ImageIO.LoadPlanar(pictures);
        Assert.That(png.Width, Is.EqualTo(3 * 64 + 4 * 4));
        Assert.That(png.Height, Is.EqualTo(2 * (64 + 7) + 3 * 4));
    }

    [Test]
    public void EvalRefusesAClassifierWithoutTheModelsClassesAndAnUnconditionalModel()
    {
        using var tmp = new TempFolder();
        string data = ClassData(tmp);
        string classifier = TrainClassifier(tmp, data);
        string other = TestModels.Save(tmp.File("o.safetensors"), ModelKind.Consistency, ["brick", "marble"]);
        var r = CliHarness.RunReal("eval", "--model", other, "--data", data, "--count", "4", "--size", "32", "--classifier", classifier);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Failure));
        Assert.That(r.Stderr, Does.Contain("has no class 'marble'"));

        string unconditional = TestModels.Save(tmp.File("u.safetensors"), ModelKind.Consistency);
        r = CliHarness.RunReal("eval", "--model", unconditional, "--data", data, "--count", "4", "--size", "32", "--classifier", classifier);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Failure));
        Assert.That(r.Stderr, Does.Contain("unconditional"));

        r = CliHarness.RunReal("eval", "--model", other, "--data", data, "--count", "4", "--size", "32", "--classifier", other);
        Assert.That(r.ExitCode, Is.EqualTo(ExitCodes.Failure));
        Assert.That(r.Stderr, Does.Contain("not a structure classifier"));
    }
}
