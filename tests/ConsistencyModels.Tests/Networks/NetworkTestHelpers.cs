using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Networks;

/// <summary>Helpers shared by network tests.</summary>
internal static class NetworkTestHelpers
{
    /// <summary>Overwrites every parameter with N(0, scale²) so zero-initialized layers do not hide bugs.</summary>
    public static void Randomize(nn.Module module, long seed, double scale = 0.2)
    {
        var g = new Generator((ulong)seed);
        using (no_grad())
            foreach (var p in module.parameters())
            {
                using var r = randn(p.shape, generator: g).Times(scale);
                p.copy_(r);
            }
    }

    /// <summary>A tiny random network with nonzero output.</summary>
    public static UNet RandomNet(UNetConfig config, long seed = 1)
    {
        manual_seed(seed);
        var net = new UNet(config);
        Randomize(net, seed);
        net.eval();
        return net;
    }
}
