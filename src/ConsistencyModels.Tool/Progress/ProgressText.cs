using System.Globalization;

namespace ConsistencyModels.Tool.Progress;

/// <summary>Formatting shared by the progress reporters (invariant culture, fixed widths).</summary>
public static class ProgressText
{
    /// <summary>A loss value: 4 significant digits, or "nan"/"inf".</summary>
    /// <param name="loss">The loss.</param>
    public static string Loss(double loss) =>
        double.IsNaN(loss) ? "nan" : double.IsInfinity(loss) ? (loss > 0 ? "inf" : "-inf") : loss.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Iterations per second: 3 significant digits below 100, integer above.</summary>
    /// <param name="perSecond">The speed.</param>
    public static string Speed(double perSecond) =>
        perSecond >= 100 ? perSecond.ToString("F0", CultureInfo.InvariantCulture)
        : perSecond.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>A duration as h:mm:ss (or d.hh:mm:ss beyond a day).</summary>
    /// <param name="time">The duration.</param>
    public static string Duration(TimeSpan time) =>
        time.TotalDays >= 1 ? time.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture)
        : time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
}
