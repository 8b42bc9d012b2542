using ConsistencyModels.Sampling;
namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm sample</c>.</summary>
/// <param name="Model">Model file (teacher or consistency model).</param>
/// <param name="Out">Output PNG grid.</param>
/// <param name="Steps">Sampling steps; null = the model's default (consistency: its stored τ list; teacher: 18).</param>
/// <param name="Sampler">Sampler; null = consistency for consistency models, heun for teachers.</param>
/// <param name="Count">Number of samples in the grid.</param>
/// <param name="Size">Sample size in pixels (square; the network is fully convolutional).</param>
/// <param name="Class">Class name for class-conditional models; null = cycle through all classes.</param>
/// <param name="Seed">Random seed.</param>
/// <param name="Tile">Show each sample 2×2 to reveal seams.</param>
/// <param name="Device">Compute device.</param>
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
    ComputeDevice Device);
