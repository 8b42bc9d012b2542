using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Networks;

/// <summary>Creates GroupNorm layers that are safe to use with TorchSharp 0.107.0.</summary>
internal static class Normalization
{
    /// <summary>
    /// GroupNorm with weight = 1 and bias = 0. TorchSharp 0.107.0 allocates them with torch.empty and never
    /// initializes them (garbage or NaN, denormals make convolutions 20–60× slower; DESIGN.md).
    /// Groups as in EDM: at most 32, at least 4 channels per group, and dividing the channel count.
    /// </summary>
    public static GroupNorm GroupNorm(int channels, double eps = 1e-5)
    {
        int groups = GroupCount(channels);
        var norm = nn.GroupNorm(groups, channels, eps);
        using (no_grad())
        {
            norm.weight.FillInPlace(1.0);
            norm.bias!.FillInPlace(0.0);
        }
        return norm;
    }

    /// <summary>min(32, channels/4) lowered until it divides <paramref name="channels"/> (≥ 1).</summary>
    public static int GroupCount(int channels) => Description.NetworkDescription.GroupCount(channels);
}
