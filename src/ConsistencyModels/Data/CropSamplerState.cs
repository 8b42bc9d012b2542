using System.Globalization;

namespace ConsistencyModels.Data;

/// <summary>
/// The saveable state of a <see cref="CropSampler"/>: its PRNG words and the number of crops drawn.
/// <see cref="ToString"/> and <see cref="Parse"/> round-trip it as text (for checkpoint metadata).
/// </summary>
/// <param name="Rng">The four xoshiro256** state words.</param>
/// <param name="CropsDrawn">How many crops the sampler has produced.</param>
public sealed record CropSamplerState(IReadOnlyList<ulong> Rng, long CropsDrawn)
{
    /// <summary>Text form "s0:s1:s2:s3:crops" in hex/decimal.</summary>
    public override string ToString() =>
        string.Join(':', Rng.Select(w => w.ToString("x16", CultureInfo.InvariantCulture))) + ":" + CropsDrawn.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses the text form of <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The text is not a sampler state.</exception>
    public static CropSamplerState Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        if (parts.Length != 5)
            throw new FormatException($"Crop sampler state must be 'w0:w1:w2:w3:count', got '{text}'.");
        var words = new ulong[4];
        for (int i = 0; i < 4; i++)
            if (!ulong.TryParse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out words[i]))
                throw new FormatException($"Crop sampler state word {i} is not hex: '{parts[i]}'.");
        if (!long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
            throw new FormatException($"Crop sampler state count is not a non-negative integer: '{parts[4]}'.");
        return new CropSamplerState(words, count);
    }
}
