using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Networks;

/// <summary>Parameter initialization helpers.</summary>
internal static class Init
{
    /// <summary>Sets every parameter of <paramref name="module"/> to zero (layers that should start as "no change").</summary>
    public static void ZeroParameters(nn.Module module)
    {
        using (no_grad())
            foreach (var p in module.parameters())
                p.zero_();
    }
}
