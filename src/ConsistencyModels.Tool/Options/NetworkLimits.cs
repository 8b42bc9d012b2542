using ConsistencyModels.Naming;
namespace ConsistencyModels.Tool.Options;

/// <summary>
/// Size constraints of the network presets, checked before any work starts.
/// </summary>
public static class NetworkLimits
{
    /// <summary>
    /// The total downsampling of a preset (stem × 2^levels): crops and sample sizes must be multiples of it.
    /// Taken from the preset's <c>UNetConfig</c>.
    /// </summary>
    public static Func<NetworkPreset, int> DownsamplingFactor { get; set; } =
        preset => Commands.Presets.For(preset).DownsamplingFactor;

    /// <summary>Throws a one-line <see cref="CmException"/> unless <paramref name="size"/> fits the network.</summary>
    /// <param name="optionName">The option that gave the size, e.g. <c>--crop</c>.</param>
    /// <param name="size">The size in pixels.</param>
    /// <param name="preset">The network preset.</param>
    public static void CheckSize(string optionName, int size, NetworkPreset preset)
    {
        CheckSize(optionName, size, DownsamplingFactor(preset), EnumNames.Of(preset));
    }

    /// <summary>Throws a one-line <see cref="CmException"/> unless <paramref name="size"/> fits <paramref name="config"/>.</summary>
    public static void CheckSize(string optionName, int size, ConsistencyModels.Networks.UNetConfig config, string name) =>
        CheckSize(optionName, size, config.DownsamplingFactor, name);

    private static void CheckSize(string optionName, int size, int factor, string name)
    {
        if (size < factor || size % factor != 0)
            throw new CmException(
                $"{optionName} {size} does not fit the {name} network: expected a positive multiple of {factor} (its downsampling), e.g. {Math.Max(factor, (size + factor / 2) / factor * factor)}");
    }
}
