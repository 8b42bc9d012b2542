namespace ConsistencyModels.Networks;

/// <summary>
/// How a <see cref="UNet"/>'s convolutions compute while its weights stay what they are (float32 master weights in
/// training). <see cref="ChannelsLast"/> runs them in NHWC layout, which oneDNN's CPU kernels prefer; TorchSharp
/// 0.107 has no memory-format API, so the layout is made by permute → contiguous → permute (DESIGN.md).
/// <see cref="Bfloat16"/> is autocast's rule for convolutions: input, weight and bias are cast to bfloat16, the
/// output back to float32, and gradients reach the float32 weights through the casts; normalization, SiLU, the
/// embeddings and attention stay float32. Both change rounding only, not the function computed.
/// </summary>
/// <param name="ChannelsLast">NHWC layout for the convolutions' inputs and weights.</param>
/// <param name="Bfloat16">bfloat16 arithmetic in the convolutions (needs native bf16 to pay: AVX512-BF16 or AMX).</param>
public readonly record struct ConvolutionCompute(bool ChannelsLast, bool Bfloat16)
{
    /// <summary>Plain float32 in the weights' layout: what the module does without a mode.</summary>
    public static ConvolutionCompute Default => default;

    /// <summary>
    /// Training's default: bfloat16 convolutions on a CPU that computes bf16 natively (<see cref="NetworkPrecisions.CpuHasNativeBFloat16"/>;
    /// measured 1.25× faster training at 64², docs/RESULTS.md), float32 elsewhere (emulated bf16 is slower; CUDA is not measured).
    /// Channels-last is off: with circular padding it measured slower here.
    /// </summary>
    public static ConvolutionCompute TrainingDefault(bool onCpu) => new(false, onCpu && NetworkPrecisions.CpuHasNativeBFloat16);

    /// <summary>Short name for logs and tables: "fp32", "fp32-cl", "bf16", "bf16-cl".</summary>
    public string Name => (Bfloat16 ? "bf16" : "fp32") + (ChannelsLast ? "-cl" : "");

    /// <summary>Parses <see cref="Name"/>'s values.</summary>
    /// <exception cref="ArgumentException">Not one of the four names.</exception>
    public static ConvolutionCompute Parse(string name) => name switch
    {
        "fp32" => new(false, false),
        "fp32-cl" => new(true, false),
        "bf16" => new(false, true),
        "bf16-cl" => new(true, true),
        _ => throw new ArgumentException($"Unknown convolution compute '{name}': expected fp32, fp32-cl, bf16 or bf16-cl."),
    };

    /// <summary>The four names <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fp32", "fp32-cl", "bf16", "bf16-cl"];
}
