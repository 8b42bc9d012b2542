using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Networks;

/// <summary>
/// Applies a <see cref="Conv2d"/> under a <see cref="ConvolutionCompute"/> mode. With the default mode it is
/// <c>conv.forward(x)</c>; otherwise the same convolution written functionally (circular padding as an explicit
/// pad, then a padding-free conv2d) so layout and precision can be chosen per call.
/// </summary>
internal static class Convolution
{
    /// <summary>y = conv(x) with <paramref name="conv"/>'s weights; <paramref name="pad"/> is its padding (0 or 1), circular or zero.</summary>
    public static Tensor Apply(Conv2d conv, Tensor x, int pad, bool circular, ConvolutionCompute compute)
    {
        if (compute == ConvolutionCompute.Float32)
            return conv.forward(x);
        using var scope = NewDisposeScope();
        Tensor w = conv.weight!;
        Tensor? b = conv.bias;
        var dtype = w.dtype;
        if (compute.HasFlag(ConvolutionCompute.ChannelsLast))
        {
            x = ToChannelsLast(x);
            w = ToChannelsLast(w);
        }
        if (compute.HasFlag(ConvolutionCompute.Bfloat16) && dtype == ScalarType.Float32)
        {
            x = x.to(ScalarType.BFloat16);
            w = w.to(ScalarType.BFloat16);
            b = b?.to(ScalarType.BFloat16);
        }
        long padding = pad;
        if (pad > 0 && circular)
        {
            x = nn.functional.pad(x, [pad, pad, pad, pad], PaddingModes.Circular);
            padding = 0;
        }
        var y = nn.functional.conv2d(x, w, b, padding: [padding, padding]);
        if (y.dtype != dtype)
            y = y.to(dtype);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The same values with NHWC strides (a [B, C, H, W] view of a [B, H, W, C] buffer).</summary>
    public static Tensor ToChannelsLast(Tensor t) =>
        t.dim() == 4 ? t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : t;
}
