namespace ConsistencyModels.Naming;

/// <summary>The one spelling of an enum value on command lines, in metadata and in logs (e.g. <c>direct-cd</c>,
/// <c>snr+1</c>); read by <see cref="EnumNames"/>. A value without it is named by its field name in lower case.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class NameAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The token.</param>
    /// <param name="aliases">Older spellings still accepted when parsing (never written).</param>
    public NameAttribute(string name, params string[] aliases)
    {
        Name = name;
        Aliases = aliases;
    }

    /// <summary>The token.</summary>
    public string Name { get; }

    /// <summary>Older spellings accepted by <see cref="EnumNames.TryParse{T}"/> (e.g. a metadata string of an earlier version).</summary>
    public IReadOnlyList<string> Aliases { get; }
}
