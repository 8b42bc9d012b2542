namespace ConsistencyModels.Runtime;

/// <summary>Placeholder for the runtime assembly.</summary>
public static class RuntimeInfo
{
    /// <summary>The runtime's name.</summary>
    public const string Name = "ConsistencyModels.Runtime";
}
