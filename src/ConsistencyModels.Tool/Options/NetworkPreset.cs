using ConsistencyModels.Naming;
namespace ConsistencyModels.Tool.Options;

/// <summary>The U-Net size presets (<c>UNetConfig.Tiny/Small/Base</c> in the library).</summary>
public enum NetworkPreset
{
    /// <summary>The tiny config for tests and smoke runs.</summary>
    [Name("tiny")] Tiny,

    /// <summary>The default model (pixel-unshuffle stem, C = 32).</summary>
    [Name("small")] Small,

    /// <summary>A wider model for machines with more compute.</summary>
    [Name("base")] Base,
}
