using BenchmarkDotNet.Attributes;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>BenchmarkDotNet: a whole frame (noise, forward(s), copy-out) of the Small model, with allocations.</summary>
[MemoryDiagnoser]
public class GenerateBenchmarks
{
    private TextureGenerator generator = null!;
    private float[] destination = null!;
    private int frame;

    /// <summary>Texture side in pixels.</summary>
    [Params(64, 128, 256, 512)]
    public int Size { get; set; }

    /// <summary>Network evaluations per texture.</summary>
    [Params(1, 2)]
    public int Steps { get; set; }

    /// <summary>Network precision.</summary>
    [Params(NetworkPrecision.Float32, NetworkPrecision.BFloat16)]
    public NetworkPrecision Precision { get; set; }

    /// <summary>Loads the model and warms the buffers for the size.</summary>
    [GlobalSetup]
    public void Setup()
    {
        generator = new TextureGenerator(BenchModels.Save(UNetConfig.Small, "small"), CPU, Precision);
        destination = new float[3 * Size * Size];
        generator.Generate(Request(), destination);
    }

    private TextureRequest Request() => new(Size, Size, frame % 8, Steps, 1, frame++ / 60.0);

    /// <summary>One animated frame.</summary>
    [Benchmark]
    public void Generate() => generator.Generate(Request(), destination);

    /// <summary>Frees the model.</summary>
    [GlobalCleanup]
    public void Cleanup() => generator.Dispose();
}

/// <summary>BenchmarkDotNet: only what the runtime adds around the network (noise + slerp, clamp + copy-out); expect 0 B allocated.</summary>
[MemoryDiagnoser]
public class RuntimeStageBenchmarks
{
    private TextureGenerator generator = null!;
    private float[] destination = null!;
    private Tensor output = null!;
    private int frame;

    /// <summary>Texture side in pixels.</summary>
    [Params(128, 512)]
    public int Size { get; set; }

    /// <summary>Loads the model and warms the buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        generator = new TextureGenerator(BenchModels.Save(UNetConfig.Tiny, "tiny"), CPU);
        destination = new float[3 * Size * Size];
        output = rand(1, 3, Size, Size).Times(2).Minus(1);
        Stages();
    }

    /// <summary>PrepareNoise + CopyOut of one animated frame.</summary>
    [Benchmark]
    public void Stages()
    {
        generator.PrepareNoise(new TextureRequest(Size, Size, 0, 1, 1, frame++ / 60.0));
        generator.CopyOut(output, destination);
    }

    /// <summary>Frees everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        output.Dispose();
        generator.Dispose();
    }
}
