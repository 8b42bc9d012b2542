using System.Runtime.CompilerServices;

namespace ConsistencyModels;

/// <summary>Argument checks that throw <see cref="ArgumentException"/> with a message saying what was expected.</summary>
internal static class Guard
{
    public static void Positive(double value, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0, got {value}.");
    }

    public static void NonNegative(double value, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number >= 0, got {value}.");
    }

    public static void AtLeast(double value, double min, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!(value >= min) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number >= {min}, got {value}.");
    }

    public static void InRange(double value, double min, double max, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!(value >= min && value <= max))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [{min}, {max}], got {value}.");
    }

    public static void AtLeast(int value, int min, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value < min)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= {min}, got {value}.");
    }
}
