using ConsistencyModels.Networks;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.Commands;

/// <summary>--config names to network configurations.</summary>
internal static class Presets
{
    public static UNetConfig For(NetworkPreset preset) => preset switch
    {
        NetworkPreset.Tiny => UNetConfig.Tiny,
        NetworkPreset.Small => UNetConfig.Small,
        NetworkPreset.Base => UNetConfig.Base,
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "unknown network preset"),
    };
}
