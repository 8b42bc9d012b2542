namespace ConsistencyModels.Tool.Runs;

/// <summary>
/// Path questions a run folder asks before it deletes anything: does it hold (or lie inside) what the command reads,
/// which temporary files are leftovers of an interrupted write, and how to name files in one line.
/// </summary>
internal static class RunInputs
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// How the run folder <paramref name="root"/> overlaps <paramref name="input"/> (a file or folder the command
    /// reads), where deleting the run's files could delete what is read: "holds" (the input lies in the run folder,
    /// at any depth), "is" (the same folder) or "lies inside" (the run folder is inside an input folder, such as the
    /// data, whose images could be named like the run's sample grids); null when they are apart. Symbolic links are
    /// followed, so a link to the teacher's folder counts as that folder.
    /// </summary>
    public static string? Conflict(string root, string input)
    {
        string run = Canonical(root);
        string read = Canonical(input);
        if (string.Equals(run, read, PathComparison)) return "is";
        if (IsInside(read, run)) return "holds";
        if (Directory.Exists(read) && IsInside(run, read)) return "lies inside";
        return null;
    }

    /// <summary>Whether <paramref name="name"/> is the temporary file of an atomic write (<c>.NAME.GUID.tmp</c>),
    /// of one of <paramref name="targets"/> when any are given.</summary>
    public static bool IsAtomicTemporary(string name, params string[] targets)
    {
        // .<target>.<32 hex digits>.tmp
        if (name.Length < 1 + 1 + 32 + 4 || name[0] != '.' || !name.EndsWith(".tmp", StringComparison.Ordinal)) return false;
        string guid = name[^36..^4];
        if (name[^37] != '.' || !guid.All(char.IsAsciiHexDigitLower)) return false;
        string target = name[1..^37];
        return target.Length > 0 && (targets.Length == 0 || targets.Contains(target, StringComparer.Ordinal));
    }

    /// <summary>Files as paths relative to <paramref name="root"/>, comma-separated, at most eight then a count.</summary>
    public static string Describe(string root, IReadOnlyList<string> files)
    {
        const int shown = 8;
        var names = files.Take(shown).Select(f => Path.GetRelativePath(root, f)).ToList();
        string list = string.Join(", ", names);
        return files.Count > shown ? $"{list} and {files.Count - shown} more ({files.Count} files)" : list;
    }

    private static bool IsInside(string child, string parent)
    {
        string prefix = parent.EndsWith(Path.DirectorySeparatorChar) ? parent : parent + Path.DirectorySeparatorChar;
        return child.StartsWith(prefix, PathComparison);
    }

    /// <summary>The full path with every symbolic link on the way resolved (components that do not exist are kept).</summary>
    private static string Canonical(string path)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full) ?? "";
        foreach (string part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is not null)
            {
                try
                {
                    if (info.ResolveLinkTarget(returnFinalTarget: true) is { } target) next = Path.GetFullPath(target.FullName);
                }
                catch (IOException)
                {
                    // A link loop or an unreadable link: keep the link's own path.
                }
            }
            current = next;
        }
        return Path.TrimEndingDirectorySeparator(current);
    }
}
