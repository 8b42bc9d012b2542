namespace ConsistencyModels.Tool.Commands;

/// <summary>Early checks of input paths, so a typo fails in a second, not after loading a model.</summary>
public static class InputChecks
{
    /// <summary>Throws a one-line <see cref="CmException"/> unless <paramref name="path"/> is an existing file.</summary>
    /// <param name="option">The option that named the file, e.g. <c>--teacher</c>.</param>
    /// <param name="path">The path.</param>
    /// <param name="what">What the file should be, for the message.</param>
    public static void RequireFile(string option, string path, string what)
    {
        if (File.Exists(path)) return;
        throw new CmException(Directory.Exists(path)
            ? $"{option} {path}: is a folder, expected {what}"
            : $"{option} {path}: file not found, expected {what}") { ExitCode = ExitCodes.Failure };
    }

    /// <summary>Throws a one-line <see cref="CmException"/> unless <paramref name="path"/> is an existing folder or file.</summary>
    /// <param name="option">The option that named the data, e.g. <c>--data</c>.</param>
    /// <param name="path">The path.</param>
    public static void RequireData(string option, string path)
    {
        if (Directory.Exists(path) || File.Exists(path)) return;
        throw new CmException($"{option} {path}: no such folder, expected a folder of PNG/JPEG images (one subfolder per class) or GIMP .pat patterns")
        { ExitCode = ExitCodes.Failure };
    }

    /// <summary>Throws unless the folder that will hold <paramref name="path"/> exists (output files).</summary>
    /// <param name="option">The option that named the file, e.g. <c>--out</c>.</param>
    /// <param name="path">The output file path.</param>
    public static void RequireParentFolder(string option, string path)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is null || Directory.Exists(parent)) return;
        throw new CmException($"{option} {path}: folder {parent} does not exist") { ExitCode = ExitCodes.Failure };
    }
}
