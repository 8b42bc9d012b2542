namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm bench</c> (network runtime throughput).</summary>
/// <param name="Model">Model file to benchmark; null = a randomly initialized <paramref name="Config"/>.</param>
/// <param name="Config">Network preset when no model is given; null when <paramref name="Model"/> is set.</param>
/// <param name="Size">Texture size in pixels.</param>
/// <param name="Steps">Network evaluations per texture (1–2 for a consistency model).</param>
/// <param name="Batch">Textures per forward pass.</param>
/// <param name="Frames">Timed frames (generations).</param>
/// <param name="Warmup">Untimed frames before timing.</param>
/// <param name="Threads">TorchSharp intra-op threads; null = TorchSharp's default.</param>
/// <param name="Json">JSON result file; null = table only.</param>
/// <param name="Device">Compute device.</param>
/// <param name="Compute">Convolution layout and precision while timing training.</param>
/// <param name="Train">Time training iterations (forward, backward, Adam step) instead of generation.</param>
public sealed record BenchOptions(
    string? Model,
    NetworkPreset? Config,
    int Size,
    int Steps,
    int Batch,
    int Frames,
    int Warmup,
    int? Threads,
    string? Json,
    ComputeDevice Device,
    bool Train,
    Networks.ConvolutionCompute Compute = Networks.ConvolutionCompute.Float32);
