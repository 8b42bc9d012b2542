using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using Microsoft.ML.OnnxRuntime;
using ModelMetadata = ConsistencyModels.IO.ModelMetadata;
using static TorchSharp.torch;

namespace ConsistencyModels.Onnx.Tests;

/// <summary>Models with random weights, the committed default model, and ONNX Runtime sessions for the tests.</summary>
internal static class OnnxTestSupport
{
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConsistencyModels.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found above the test directory");
        }
    }

    public static string DefaultModelPath => Path.Combine(RepositoryRoot, "runtime", "models", "default.safetensors");

    /// <summary>A model in memory whose every parameter got N(0, 0.1²) added (a fresh U-Net outputs zero).</summary>
    public static LoadedModel RandomModel(ModelMetadata metadata, ulong seed = 1)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cm-onnx-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "model.safetensors");
            using (var model = ModelFile.CreateModel(metadata))
            {
                Randomize(model, seed);
                ModelFile.Save(path, model, metadata);
            }
            return ModelFile.Load(path, CPU);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Randomize(PreconditionedNetwork model, ulong seed)
    {
        using var generator = new Generator(seed);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var p in model.parameters())
            p.AddInPlace(randn(p.shape, generator: generator).Times(0.1));
    }

    public static InferenceSession Session(byte[] model, int threads = 1)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs the exported model on x [B, C, H, W], σ [B] and labels [B] (null for unconditional).</summary>
    public static float[] Run(InferenceSession session, float[] x, long[] shape, float[] sigma, long[]? labels)
    {
        var names = new List<string> { OnnxExporter.InputX, OnnxExporter.InputSigma };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(x, shape),
            OrtValue.CreateTensorValueFromMemory(sigma, [sigma.Length]),
        };
        if (labels is not null)
        {
            names.Add(OnnxExporter.InputClass);
            values.Add(OrtValue.CreateTensorValueFromMemory(labels, [labels.Length]));
        }
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, values, [OnnxExporter.OutputName]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>The TorchSharp model's output on the same inputs (σ as float64, as the runtime passes it).</summary>
    public static float[] Reference(LoadedModel model, float[] x, long[] shape, float[] sigma, long[]? labels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var xt = tensor(x, shape, ScalarType.Float32);
        var s = tensor(sigma.Select(v => (double)v).ToArray(), [sigma.Length], ScalarType.Float64);
        var l = labels is null ? null : tensor(labels, [labels.Length], ScalarType.Int64);
        return model.Model.forward(xt, s, l).contiguous().data<float>().ToArray();
    }

    public static double MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length), "lengths differ");
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (double.IsNaN(d)) return double.PositiveInfinity;
            worst = Math.Max(worst, d);
        }
        return worst;
    }

    /// <summary>Gaussian values, seeded.</summary>
    public static float[] Gaussian(int count, int seed)
    {
        var random = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++)
            v[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return v;
    }

    public static UNetConfig WithClasses(this UNetConfig c, int classes) => c with { ClassCount = classes };
}
