using ConsistencyModels.Data;
using System.Diagnostics;

namespace ConsistencyModels.Fetching;

/// <summary>
/// Obtains GIMP's pattern set (GPL-3+, so fetched at setup, never committed) from the Debian package
/// <c>gimp-data</c>: <c>apt-get download gimp-data</c> into a temporary folder, <c>dpkg -x</c>, then copies
/// <c>usr/share/gimp/2.0/patterns/&lt;Category&gt;/*.pat</c> into a target folder, keeping the category folders.
/// </summary>
public static class GimpPatternFetcher
{
    /// <summary>The Debian package holding the patterns.</summary>
    public const string PackageName = "gimp-data";

    /// <summary>Where the package installs its patterns (relative to the extraction root).</summary>
    public const string PatternsSubpath = "usr/share/gimp/2.0/patterns";

    /// <summary>Name of the (uncategorized) group for .pat files lying directly in the patterns folder.</summary>
    public const string RootCategory = ".";

    /// <summary>
    /// Downloads and extracts the package, copies its patterns into <paramref name="targetDir"/> and returns the
    /// number of patterns per category.
    /// </summary>
    /// <param name="targetDir">Destination; created if missing. Existing files with the same names are overwritten.</param>
    /// <param name="log">Optional progress lines.</param>
    /// <exception cref="DataException">apt-get or dpkg missing, download or extraction failed, or no patterns in the package.</exception>
    public static IReadOnlyDictionary<string, int> Fetch(string targetDir, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetDir);
        string aptGet = FindTool("apt-get");
        string dpkg = FindTool("dpkg");
        string tmp = Path.Combine(Path.GetTempPath(), "cm-gimp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            log?.Invoke($"apt-get download {PackageName} into {tmp}");
            Run(aptGet, ["download", PackageName], tmp);
            var deb = Directory.GetFiles(tmp, "*.deb").FirstOrDefault()
                ?? throw new DataException($"apt-get download {PackageName} produced no .deb file in {tmp}.", tmp);
            string extract = Path.Combine(tmp, "root");
            log?.Invoke($"dpkg -x {Path.GetFileName(deb)}");
            Run(dpkg, ["-x", deb, extract], tmp);
            string patterns = Path.Combine(extract, PatternsSubpath);
            if (!Directory.Exists(patterns))
                throw new DataException($"Package {Path.GetFileName(deb)} has no {PatternsSubpath} folder.", deb);
            var counts = CopyPatterns(patterns, targetDir);
            log?.Invoke($"copied {counts.Values.Sum()} patterns into {targetDir}");
            return counts;
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); }
            catch (IOException) { /* temp leftovers are harmless */ }
        }
    }

    /// <summary>
    /// Copies the <c>.pat</c> files of a GIMP patterns folder (top level and one level of category folders) into
    /// <paramref name="targetDir"/> with the same layout; returns the count per category (<see cref="RootCategory"/> for the top level).
    /// </summary>
    /// <exception cref="DataException">The source folder is missing or holds no patterns.</exception>
    public static IReadOnlyDictionary<string, int> CopyPatterns(string patternsDir, string targetDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(patternsDir);
        ArgumentException.ThrowIfNullOrEmpty(targetDir);
        if (!Directory.Exists(patternsDir))
            throw new DataException($"Pattern folder not found: {patternsDir}", patternsDir);
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        void CopyFrom(string dir, string category, string dest)
        {
            var pats = Directory.GetFiles(dir, "*.pat");
            if (pats.Length == 0)
                return;
            Directory.CreateDirectory(dest);
            foreach (var f in pats)
                File.Copy(f, Path.Combine(dest, Path.GetFileName(f)), overwrite: true);
            counts[category] = pats.Length;
        }
        CopyFrom(patternsDir, RootCategory, targetDir);
        foreach (var sub in Directory.GetDirectories(patternsDir))
            CopyFrom(sub, Path.GetFileName(sub), Path.Combine(targetDir, Path.GetFileName(sub)));
        if (counts.Count == 0)
            throw new DataException($"No .pat files in {patternsDir} or its subfolders.", patternsDir);
        return counts;
    }

    internal static string FindTool(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new DataException($"'{name}' not found on PATH: fetching GIMP patterns needs a Debian/Ubuntu system with apt-get and dpkg (or copy a GIMP patterns folder yourself).", name);
    }

    internal static void Run(string tool, string[] args, string workDir)
    {
        var psi = new ProcessStartInfo(tool)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new DataException($"Could not start {tool}.", tool);
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = stdout.Result;
        if (p.ExitCode != 0)
        {
            string detail = stderr.Trim().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
            throw new DataException($"'{Path.GetFileName(tool)} {string.Join(' ', args)}' failed with exit code {p.ExitCode}: {detail}", tool);
        }
    }
}
