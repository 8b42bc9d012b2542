using ConsistencyModels.Naming;

namespace ConsistencyModels.Networks;

/// <summary>
/// How a <see cref="UNet"/>'s convolutions compute while its weights stay what they are (float32 master weights in
/// training); flags, named in the library's one name table (<see cref="EnumNames"/>). <see cref="ChannelsLast"/> runs
/// them in NHWC layout, which oneDNN's CPU kernels prefer; TorchSharp 0.107 has no memory-format API, so the layout
/// is made by permute → contiguous → permute (DESIGN.md). <see cref="Bfloat16"/> is autocast's rule for convolutions:
/// input, weight and bias are cast to bfloat16, the output back to float32, and gradients reach the float32 weights
/// through the casts; normalization, SiLU, the embeddings and attention stay float32. Both change rounding only, not
/// the function computed.
/// </summary>
[Flags]
public enum ConvolutionCompute
{
    /// <summary>Plain float32 in the weights' layout: what the module does without a mode.</summary>
    [Name("fp32")] Float32 = 0,
    /// <summary>NHWC layout for the convolutions' inputs and weights.</summary>
    [Name("fp32-cl")] ChannelsLast = 1,
    /// <summary>bfloat16 arithmetic in the convolutions (needs native bf16 to pay: AVX512-BF16 or AMX).</summary>
    [Name("bf16")] Bfloat16 = 2,
    /// <summary>Both.</summary>
    [Name("bf16-cl")] Bfloat16ChannelsLast = Bfloat16 | ChannelsLast,
}

/// <summary>Choosing a <see cref="ConvolutionCompute"/> for training.</summary>
public static class ConvolutionComputes
{
    /// <summary>
    /// Training's default: bfloat16 convolutions on a CPU that computes bf16 natively (<see cref="NetworkPrecisions.CpuHasNativeBFloat16"/>;
    /// measured 1.25–1.4× faster training at 64², docs/RESULTS.md), float32 elsewhere (emulated bf16 is slower; CUDA is not measured).
    /// Channels-last is off: with circular padding it measured slower here.
    /// </summary>
    public static ConvolutionCompute TrainingDefault(bool onCpu) =>
        onCpu && NetworkPrecisions.CpuHasNativeBFloat16 ? ConvolutionCompute.Bfloat16 : ConvolutionCompute.Float32;
}
