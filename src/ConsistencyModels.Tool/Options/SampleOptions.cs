using ConsistencyModels.Networks;
using ConsistencyModels.Sampling;
namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm sample</c>.</summary>
/// <param name="Model">Model file (teacher or consistency model).</param>
/// <param name="Out">Output PNG grid, or a folder (<see cref="OutIsFolder"/>) for one PNG per texture.</param>
/// <param name="Steps">Sampling steps; null = the model's default (consistency: its stored τ list; teacher: 18).</param>
/// <param name="Sampler">Sampler; null = consistency for consistency models, heun for teachers.</param>
/// <param name="Count">Number of samples in the grid.</param>
/// <param name="Size">Sample size in pixels (square; the network is fully convolutional).</param>
/// <param name="Class">Class name for class-conditional models; null = cycle through all classes.</param>
/// <param name="Seed">Random seed.</param>
/// <param name="Tile">Show each sample 2×2 to reveal seams.</param>
/// <param name="Device">Compute device.</param>
/// <param name="Precision">Number format of the network while sampling (as <c>cm eval --precision</c>).</param>
public sealed record SampleOptions(
    string Model,
    string Out,
    int? Steps,
    SamplerKind? Sampler,
    int Count,
    int Size,
    string? Class,
    int Seed,
    bool Tile,
    ComputeDevice Device,
    NetworkPrecision Precision = NetworkPrecision.Float32)
{
    /// <summary>Whether <see cref="Out"/> names a folder (ends with a path separator): one PNG per texture instead of a grid.</summary>
    public bool OutIsFolder => Out.EndsWith('/') || Out.EndsWith(Path.DirectorySeparatorChar);
}
