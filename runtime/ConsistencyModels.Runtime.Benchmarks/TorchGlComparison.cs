using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Runtime.Gl;
using ConsistencyModels.Runtime.GlBench;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>The libtorch path (TextureGenerator on the default model, compiled TorchScript) as a comparison arm of the
/// GL benchmark: <c>--gl</c> times float32 and the runtime's default precision beside the GL backend unless
/// <c>--no-torch</c>.</summary>
internal sealed class TorchGlComparison : IGlBenchComparison
{
    private readonly TextureGenerator generator;

    private TorchGlComparison(LoadedModel model, NetworkPrecision precision, string key, string label)
    {
        generator = new TextureGenerator(model, ownsModel: false, "default", precision);
        Key = key;
        Label = label + (precision == NetworkPrecision.Auto ? $" ({generator.Precision})" : "");
    }

    public string Key { get; }

    public string Label { get; }

    public void Generate(TextureRequest request, float[] destination) => generator.Generate(request, destination);

    public void Dispose() => generator.Dispose();

    /// <summary>Runs the GL benchmark with the libtorch arms (fp32 first: the GL/libtorch ratio is against it).</summary>
    public static int Run(string[] args)
    {
        if (args.Contains("--no-torch")) return GlBench.GlBench.Run(args, []);
        using var stream = TextureGenerator.OpenDefaultModel();
        using var model = ModelFile.Load(stream, "default model", CPU);
        using var fp32 = new TorchGlComparison(model, NetworkPrecision.Float32, "libtorchFp32", "libtorch fp32");
        using var auto = new TorchGlComparison(model, NetworkPrecision.Auto, "libtorchDefault", "libtorch default");
        return GlBench.GlBench.Run(args, [fp32, auto]);
    }
}
