using System.Globalization;
using System.Text.RegularExpressions;
using ConsistencyModels.Tool.Commands;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>
/// Recognizes an out-of-memory failure (libtorch's CPU or CUDA allocator, or the .NET runtime) and says in one line
/// how much was asked for, how much the machine has, and what to make smaller.
/// </summary>
internal static partial class OutOfMemory
{
    /// <summary>What to try instead, appended to every out-of-memory line.</summary>
    public const string Advice = "use a smaller --size (memory grows with the pixel count, with attention with its square), --batch or --count";

    /// <summary>The one-line description, or null when <paramref name="error"/> is not an out-of-memory failure.</summary>
    public static string? Describe(Exception error)
    {
        string message = error.Message;
        var cpu = CpuAllocator().Match(message);
        if (cpu.Success && long.TryParse(cpu.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes))
            return $"out of memory: one tensor of {MemoryBudget.Format(bytes)} was asked for, this machine has {MemoryBudget.Format(MemoryBudget.TotalBytes)}; {Advice}";
        var cuda = CudaAllocator().Match(message);
        if (cuda.Success)
            return $"out of GPU memory: one tensor of {cuda.Groups[1].Value} was asked for; {Advice}";
        if (error is OutOfMemoryException or InsufficientMemoryException)
            return $"out of memory (this machine has {MemoryBudget.Format(MemoryBudget.TotalBytes)}); {Advice}";
        return null;
    }

    [GeneratedRegex(@"can't allocate memory: you tried to allocate (\d+) bytes")]
    private static partial Regex CpuAllocator();

    [GeneratedRegex(@"out of memory\. Tried to allocate ([\d.]+ ?[KMGTP]?i?B)", RegexOptions.IgnoreCase)]
    private static partial Regex CudaAllocator();
}
