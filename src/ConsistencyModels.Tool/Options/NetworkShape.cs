using ConsistencyModels.Networks;

namespace ConsistencyModels.Tool.Options;

/// <summary>
/// Changes to a network preset from <c>train-teacher</c>'s <c>--channels</c>, <c>--mults</c>, <c>--blocks</c> and
/// <c>--attention</c>: what makes a network's receptive field and bottleneck cover a texture's structure (a deeper
/// level, attention at the bottleneck) without a new preset per experiment. Null = the preset's value.
/// </summary>
/// <param name="Channels">Width C of the first level.</param>
/// <param name="Multipliers">Width multiplier per level; its length is the number of levels.</param>
/// <param name="Blocks">Residual blocks per level in the encoder.</param>
/// <param name="Attention">Levels (0 = full resolution) with self-attention; empty = none.</param>
public sealed record NetworkShape(int? Channels = null, int[]? Multipliers = null, int? Blocks = null, int[]? Attention = null)
{
    /// <summary>No change.</summary>
    public static NetworkShape None { get; } = new();

    /// <summary><paramref name="preset"/> with these changes, validated; an invalid result is a one-line <see cref="CmException"/>.</summary>
    public UNetConfig Apply(UNetConfig preset)
    {
        var config = preset with
        {
            BaseChannels = Channels ?? preset.BaseChannels,
            ChannelMultipliers = Multipliers ?? preset.ChannelMultipliers,
            ResBlocksPerLevel = Blocks ?? preset.ResBlocksPerLevel,
            AttentionLevels = Attention ?? preset.AttentionLevels,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CmException($"--channels/--mults/--blocks/--attention: {e.Message.Replace("Invalid UNetConfig: ", "")}");
        }
        return config;
    }

    /// <summary>The command-line form of the changes ("" when none), for logs.</summary>
    public string Describe() => string.Join(' ', new[]
    {
        Channels is int c ? $"--channels {c}" : null,
        Multipliers is { } m ? $"--mults {string.Join(',', m)}" : null,
        Blocks is int b ? $"--blocks {b}" : null,
        Attention is { } a ? $"--attention {(a.Length == 0 ? "none" : string.Join(',', a))}" : null,
    }.Where(s => s is not null));
}
