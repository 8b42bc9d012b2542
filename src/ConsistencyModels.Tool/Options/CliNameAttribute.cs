namespace ConsistencyModels.Tool.Options;

/// <summary>The token that names an enum value on the command line (e.g. <c>direct-cd</c>, <c>snr+1</c>).</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class CliNameAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The command-line token.</param>
    public CliNameAttribute(string name) => Name = name;

    /// <summary>The command-line token.</summary>
    public string Name { get; }
}
