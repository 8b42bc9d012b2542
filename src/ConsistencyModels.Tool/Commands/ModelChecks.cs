using ConsistencyModels.Networks;

namespace ConsistencyModels.Tool.Commands;

/// <summary>Checks of a loaded model against the command line, each failing with one line.</summary>
internal static class ModelChecks
{
    /// <summary>Throws unless <paramref name="size"/>² fits the network (a positive multiple of its downsampling).</summary>
    /// <param name="option">The option that gave the size, e.g. <c>--size</c>.</param>
    /// <param name="size">The size in pixels.</param>
    /// <param name="modelPath">The model file, for the message.</param>
    /// <param name="config">Its network configuration.</param>
    public static void Size(string option, int size, string modelPath, UNetConfig config)
    {
        try
        {
            config.ValidateImageSize(size, size);
        }
        catch (ArgumentException e)
        {
            int f = config.DownsamplingFactor;
            throw new CmException(
                $"{option} {size} does not fit {modelPath}: expected a positive multiple of {f} (the network's downsampling), e.g. {Math.Max(f, (size + f / 2) / f * f)}", e);
        }
    }
}
