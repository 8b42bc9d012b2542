namespace ConsistencyModels.Runtime;

/// <summary>Looking classes up by name, as a game's material table names them ("Bricks", "Marble #1"), instead of by
/// an index that changes with the model.</summary>
public static class TextureSourceExtensions
{
    /// <summary>The index of the class called <paramref name="name"/> (ordinal, case-insensitive, surrounding spaces
    /// ignored), or −1 when the source has no such class.</summary>
    public static int FindClass(this ITextureSource source, string name)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        var wanted = name.Trim();
        var names = source.ClassNames;
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], wanted, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    /// <summary>The index of the class called <paramref name="name"/> (see <see cref="FindClass"/>).</summary>
    /// <exception cref="ArgumentException">No class has that name; the message lists the names there are.</exception>
    public static int ClassIndex(this ITextureSource source, string name)
    {
        int index = source.FindClass(name);
        if (index >= 0) return index;
        var names = source.ClassNames;
        throw new ArgumentException(names.Count == 0
            ? $"'{name}' is not a class: {source.Description} is unconditional (it has no classes)."
            : $"'{name}' is not a class of {source.Description}; its {names.Count} classes are: {string.Join(", ", names)}.", nameof(name));
    }
}
