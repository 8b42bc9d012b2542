using ConsistencyModels.Fetching;
using ConsistencyModels.Data;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// <c>cm data fetch gimp-patterns</c>: GIMP's pattern set from the Debian package (DESIGN.md, Data). The package is
/// downloaded and unpacked into a temporary folder by <see cref="GimpPatternFetcher"/>; the chosen categories are then
/// copied into --out (one subfolder per category) and counted.
/// </summary>
public static class DataFetchCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(DataFetchOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        if (options.Source == DataFetchSource.FreedoomFlats) return RunFreedoom(options, progress);
        if (Directory.Exists(options.Out) && Directory.EnumerateFileSystemEntries(options.Out).Any() && !options.Force)
            throw new CmException($"--out {options.Out}: folder is not empty; pass --force to replace its patterns");
        string staging = Path.Combine(Path.GetTempPath(), "cm-fetch-" + Guid.NewGuid().ToString("N"));
        try
        {
            IReadOnlyDictionary<string, int> fetched;
            try
            {
                fetched = GimpPatternFetcher.Fetch(staging, progress.Info);
            }
            catch (DataException e)
            {
                throw new CmException($"data fetch gimp-patterns: {e.Message}", e) { ExitCode = ExitCodes.Failure };
            }
            cancellation.ThrowIfCancellationRequested();
            var chosen = Choose(fetched, options.Categories);
            var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (string category in chosen)
            {
                string source = category == GimpPatternFetcher.RootCategory ? staging : Path.Combine(staging, category);
                string target = category == GimpPatternFetcher.RootCategory ? options.Out : Path.Combine(options.Out, category);
                // --force replaces patterns only: the old .pat files of the category go, anything else stays.
                var old = Directory.Exists(target) ? Directory.GetFiles(target, "*.pat").Order(StringComparer.Ordinal).ToList() : [];
                if (old.Count > 0)
                {
                    progress.Info($"--force: deleting {old.Count} old pattern(s) in {target}: {Runs.RunInputs.Describe(target, old)}");
                    foreach (string file in old) File.Delete(file);
                }
                Directory.CreateDirectory(target);
                int n = 0;
                foreach (string file in Directory.GetFiles(source, "*.pat"))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
                    n++;
                }
                counts[category] = n;
            }
            var table = new ResultTable("category", "patterns");
            foreach (var (category, n) in counts)
                table.AddRow(category == GimpPatternFetcher.RootCategory ? "(top level)" : category, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("total", counts.Values.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture));
            table.Write(progress);
            progress.Info($"wrote {counts.Values.Sum()} patterns in {counts.Count} categories to {options.Out} (GPL-3+, from Debian's {GimpPatternFetcher.PackageName}; do not commit them)");
            return ExitCodes.Ok;
        }
        finally
        {
            try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); }
            catch (IOException) { /* a leftover temporary folder is harmless */ }
        }
    }

    // cm data fetch freedoom-flats: the flats straight into --out (one folder per family) with Freedoom's notice.
    private static int RunFreedoom(DataFetchOptions options, IProgressReporter progress)
    {
        if (Directory.Exists(options.Out) && Directory.EnumerateFileSystemEntries(options.Out).Any() && !options.Force)
            throw new CmException($"--out {options.Out}: folder is not empty; pass --force to write into it");
        IReadOnlyDictionary<string, int> counts;
        try
        {
            counts = FreedoomFlatFetcher.Fetch(options.Out, progress.Info);
        }
        catch (DataException e)
        {
            throw new CmException($"data fetch freedoom-flats: {e.Message}", e) { ExitCode = ExitCodes.Failure };
        }
        var table = new ResultTable("family", "flats");
        foreach (var (family, n) in counts) table.AddRow(family, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("total", counts.Values.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.Write(progress);
        progress.Info($"wrote {counts.Values.Sum()} flats in {counts.Count} families to {options.Out} (BSD-3-Clause, from Debian's {FreedoomFlatFetcher.PackageName}; "
            + $"keep {FreedoomFlatFetcher.NoticeFile} with anything made from them)");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The fetched categories to keep: all of them when <paramref name="wanted"/> is empty (--all), else each wanted
    /// name matched case-insensitively; an unknown name is a one-line error listing the categories the package has.
    /// </summary>
    internal static IReadOnlyList<string> Choose(IReadOnlyDictionary<string, int> fetched, IReadOnlyList<string> wanted)
    {
        if (wanted.Count == 0) return fetched.Keys.Order(StringComparer.Ordinal).ToList();
        var available = fetched.Keys.Where(k => k != GimpPatternFetcher.RootCategory).Order(StringComparer.Ordinal).ToList();
        var chosen = new List<string>();
        foreach (string name in wanted)
        {
            string? match = available.FirstOrDefault(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
            if (match is null)
                throw new CmException($"--categories: the package has no category '{name}'; it has {string.Join(", ", available)}")
                { ExitCode = ExitCodes.Failure };
            if (!chosen.Contains(match)) chosen.Add(match);
        }
        return chosen;
    }
}
