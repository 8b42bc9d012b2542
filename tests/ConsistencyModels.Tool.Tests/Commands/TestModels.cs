using ConsistencyModels.Training;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.Commands;

/// <summary>Tiny random-weight model files for command tests (training one would take far longer).</summary>
internal static class TestModels
{
    /// <summary>The tiny config without attention (fast), optionally class-conditional.</summary>
    public static UNetConfig Config(int classes = 0) => UNetConfig.Tiny with { AttentionLevels = [], ClassCount = classes };

    /// <summary>
    /// Saves a model of <paramref name="kind"/> with random weights to <paramref name="path"/> (<paramref name="config"/>
    /// or the tiny one without attention). Every parameter is perturbed (the output layer starts at zero), so the
    /// network's output depends on its input and σ.
    /// </summary>
    public static string Save(string path, ModelKind kind, string[]? classNames = null, long seed = 1, UNetConfig? config = null)
    {
        torch.manual_seed(seed);
        var metadata = new ModelMetadata
        {
            Kind = kind,
            Config = config ?? Config(classNames?.Length ?? 0),
            ClassNames = classNames ?? [],
            Method = kind == ModelKind.Teacher ? TrainingMethod.Teacher : TrainingMethod.Cd,
            CropSize = 16,
        };
        using var model = ModelFile.CreateModel(metadata);
        using (torch.no_grad())
            foreach (var p in model.parameters())
                p.AddInPlace(torch.randn_like(p).Times(0.05));
        ModelFile.Save(path, model, metadata);
        return path;
    }

    /// <summary>A data folder in <paramref name="tmp"/> with one class subfolder per test image (brick, grass).</summary>
    public static string ClassFolders(TempFolder tmp)
    {
        string data = tmp.File("data");
        foreach (var name in new[] { "brick", "grass" })
        {
            Directory.CreateDirectory(Path.Combine(data, name));
            File.Copy(Path.Combine(DataFolder, name + ".png"), Path.Combine(data, name, name + ".png"));
        }
        return data;
    }

    /// <summary>Largest |a − b| over every tensor of two model files, relative to the largest |a|.</summary>
    public static double WeightDifference(string a, string b)
    {
        using var ma = Safetensors.Load(a);
        using var mb = Safetensors.Load(b);
        Assert.That(mb.Tensors.Keys, Is.EquivalentTo(ma.Tensors.Keys));
        double worst = 0, scale = 1e-12;
        foreach (var (name, t) in ma.Tensors)
        {
            using var d = (t - mb.Tensors[name]).abs().max().to(torch.ScalarType.Float64);
            using var m = t.abs().max().to(torch.ScalarType.Float64);
            worst = Math.Max(worst, d.item<double>());
            scale = Math.Max(scale, m.item<double>());
        }
        return worst / scale;
    }

    /// <summary>The repository's test images (brick and grass, 128² grayscale).</summary>
    public static string DataFolder
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConsistencyModels.sln")))
                dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root not found"), "tests", "data");
        }
    }
}

/// <summary>
/// Runs each command-test fixture with one TorchSharp thread: on a shared, overloaded machine libtorch's spinning
/// OpenMP threads make two-thread runs many times slower, and one thread gives the same numbers.
/// </summary>
public abstract class SingleThreadFixture
{
    private int threads;

    [OneTimeSetUp]
    public void OneThread()
    {
        threads = torch.get_num_threads();
        torch.set_num_threads(1);
    }

    [OneTimeTearDown]
    public void RestoreThreads() => torch.set_num_threads(threads);
}
