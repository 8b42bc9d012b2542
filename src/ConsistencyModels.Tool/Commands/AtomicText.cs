namespace ConsistencyModels.Tool.Commands;

/// <summary>Writes result files (JSON) through a temporary file and a rename, so readers never see half a file.</summary>
internal static class AtomicText
{
    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, string text)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
