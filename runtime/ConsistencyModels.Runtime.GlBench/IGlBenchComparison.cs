using ConsistencyModels.Runtime.Gl;

namespace ConsistencyModels.Runtime.GlBench;

/// <summary>Another way to make the same texture, timed in turns with the GL backend (the libtorch path, from the
/// benchmark project that has TorchSharp). Its rows are named by <see cref="Key"/>: <c>{Key}TexturesPerSecond</c>.</summary>
public interface IGlBenchComparison : IDisposable
{
    /// <summary>JSON key prefix, e.g. <c>libtorchFp32</c>.</summary>
    string Key { get; }

    /// <summary>Console label, e.g. <c>libtorch fp32</c>.</summary>
    string Label { get; }

    /// <summary>Makes one texture for <paramref name="request"/> into <paramref name="destination"/> (planar RGB).</summary>
    void Generate(TextureRequest request, float[] destination);
}
