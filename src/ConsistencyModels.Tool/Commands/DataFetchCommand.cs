using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm data fetch gimp-patterns</c>: GIMP's pattern set from the Debian package (DESIGN.md, Data).</summary>
public static class DataFetchCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(DataFetchOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        if (Directory.Exists(options.Out) && Directory.EnumerateFileSystemEntries(options.Out).Any() && !options.Force)
            throw new CmException($"--out {options.Out}: folder is not empty; pass --force to replace its patterns");
        // Wiring: GimpPatternFetcher (apt-get download gimp-data + dpkg -x) → copy the chosen categories.
        throw CmException.NotWired("data fetch gimp-patterns", "GimpPatternFetcher");
    }
}
