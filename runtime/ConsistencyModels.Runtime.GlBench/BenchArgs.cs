namespace ConsistencyModels.Runtime.GlBench;

/// <summary>The benchmarks' command-line reading: <c>--name value</c> pairs, no parser library (the GL benchmark
/// publishes trimmed).</summary>
public static class BenchArgs
{
    /// <summary>The value after <paramref name="name"/>, or null when the option is absent or last.</summary>
    public static string? Value(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
