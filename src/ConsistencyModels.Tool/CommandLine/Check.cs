using System.Globalization;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>Range checks of parsed option values; each failure is a one-line <see cref="CmException"/>.</summary>
internal static class Check
{
    public static int AtLeast(string option, int value, int min)
    {
        if (value < min) throw new CmException($"{option} must be at least {min}, got {value}");
        return value;
    }

    public static int? AtLeast(string option, int? value, int min) =>
        value is int v ? AtLeast(option, v, min) : null;

    public static int? InRange(string option, int? value, int min, int max) =>
        value is int v ? InRange(option, v, min, max) : null;

    public static int InRange(string option, int value, int min, int max)
    {
        if (value < min || value > max) throw new CmException($"{option} must be between {min} and {max}, got {value}");
        return value;
    }

    public static double Positive(string option, double value)
    {
        if (!(value > 0)) throw new CmException($"{option} must be > 0, got {Show(value)}");
        return value;
    }

    /// <summary>An EMA decay μ ∈ [0, 1).</summary>
    public static double? Decay(string option, double? value)
    {
        if (value is double v && !(v >= 0 && v < 1))
            throw new CmException($"{option} is an EMA decay and must be in [0, 1), got {Show(v)}");
        return value;
    }

    public static void PngFile(string option, string path)
    {
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new CmException($"{option} {path}: expected a .png file name");
    }

    public static void Exclusive(string first, bool firstGiven, string second, bool secondGiven, string why)
    {
        if (firstGiven && secondGiven) throw new CmException($"{first} and {second} exclude each other: {why}");
    }

    private static string Show(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
