namespace ConsistencyModels.Metrics;

/// <summary>Settings of <see cref="SlicedWasserstein"/>; defaults follow Karras et al. 2018 (Appendix D).</summary>
public sealed record SwdOptions
{
    /// <summary>
    /// Pyramid levels stop once the next level would be smaller than this (16 as in the paper: 64² crops give levels
    /// 64, 32, 16). At 8 px a 7×7 patch has only 4 positions per image, so that level's floor between real sets is high.
    /// </summary>
    public int MinResolution { get; init; } = 16;

    /// <summary>Side of the square neighbourhoods (7 in the paper).</summary>
    public int PatchSize { get; init; } = 7;

    /// <summary>Neighbourhoods drawn per image and level (128 in the paper).</summary>
    public int PatchesPerImage { get; init; } = 128;

    /// <summary>Random projection directions (the paper: 4 repeats × 128 = 512).</summary>
    public int Directions { get; init; } = 512;

    /// <summary>Seed for patch positions and directions: the same seed gives the same result.</summary>
    public long Seed { get; init; } = 123;
}
