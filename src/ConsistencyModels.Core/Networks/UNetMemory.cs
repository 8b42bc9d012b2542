namespace ConsistencyModels.Networks;

/// <summary>
/// Predictable memory of a <c>UNet</c> forward pass, computed from the configuration before anything is
/// allocated, so a size that cannot fit is refused up front instead of failing in libtorch's allocator.
/// </summary>
public static class UNetMemory
{
    private const long FloatBytes = sizeof(float);

    /// <summary>
    /// The attention matrix of the largest self-attention layer: B·heads·(HW)² float32 values, HW the pixel count
    /// at that layer's level. 0 without attention.
    /// </summary>
    /// <param name="config">The network.</param>
    /// <param name="batch">Images per call.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    public static double AttentionBytes(UNetConfig config, long batch, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(config);
        double worst = 0;
        int stem = config.PixelUnshuffleStem ? 2 : 1;
        foreach (int level in config.AttentionLevels)
        {
            double scale = stem * Math.Pow(2, level);
            double pixels = Math.Floor(height / scale) * Math.Floor(width / scale);
            double bytes = (double)batch * Heads(config.BaseChannels * config.ChannelMultipliers[level]) * pixels * pixels * FloatBytes;
            worst = Math.Max(worst, bytes);
        }
        return worst;
    }

    /// <summary>
    /// A lower bound on the peak memory of one forward pass: the input and output images, the full-resolution
    /// tensors the encoder keeps for the decoder's skip connections (the input convolution's output and every
    /// level-0 block's), and the largest attention matrix.
    /// </summary>
    /// <param name="config">The network.</param>
    /// <param name="batch">Images per call.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    public static double LowerBoundBytes(UNetConfig config, long batch, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(config);
        int stem = config.PixelUnshuffleStem ? 2 : 1;
        double pixels = (double)height * width;
        double images = (double)batch * (config.InChannels + config.OutChannels) * pixels * FloatBytes;
        double skips = (config.ResBlocksPerLevel + 1.0) * batch * config.BaseChannels * config.ChannelMultipliers[0] * (pixels / (stem * stem)) * FloatBytes;
        return images + skips + AttentionBytes(config, batch, height, width);
    }

    /// <summary>Heads of an attention layer of <paramref name="channels"/> channels (64 per head where the width allows).</summary>
    internal static int Heads(int channels) => Description.NetworkDescription.Heads(channels);
}
