using ConsistencyModels.IO;

namespace ConsistencyModels.Tool.Commands;

/// <summary>Class labels for sampling: one --class NAME, or all classes in turn for a conditional model.</summary>
internal static class ClassChoice
{
    /// <summary>At most this many valid names are listed in an error line.</summary>
    private const int MaxListed = 40;

    /// <summary>The names of the model's classes (its class names, or "0".."N−1" when it stored none).</summary>
    public static IReadOnlyList<string> Names(ModelMetadata metadata) =>
        metadata.ClassNames.Length > 0
            ? metadata.ClassNames
            : Enumerable.Range(0, metadata.Config.ClassCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>
    /// Labels [count] for a conditional model (--class NAME, matched case-insensitively, or class i mod N for sample i),
    /// null for an unconditional one. Errors: --class for an unconditional model; an unknown name (lists the valid ones).
    /// </summary>
    public static long[]? Labels(ModelMetadata metadata, string modelPath, string? className, int count)
    {
        int classes = metadata.Config.ClassCount;
        if (classes == 0)
        {
            if (className is not null)
                throw new CmException($"--class {className}: {modelPath} is unconditional (trained without classes); leave --class out");
            return null;
        }
        var names = Names(metadata);
        if (className is null)
            return Enumerable.Range(0, count).Select(i => (long)(i % classes)).ToArray();
        int index = IndexOf(names, className);
        if (index < 0)
        {
            string listed = string.Join(", ", names.Take(MaxListed));
            string more = names.Count > MaxListed ? $" and {names.Count - MaxListed} more (see {Path.ChangeExtension(modelPath, ".json")})" : "";
            throw new CmException($"--class '{className}' is not a class of {modelPath}; valid names: {listed}{more}");
        }
        return Enumerable.Repeat((long)index, count).ToArray();
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.Ordinal)) return i;
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
