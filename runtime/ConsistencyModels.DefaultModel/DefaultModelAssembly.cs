namespace ConsistencyModels.DefaultModel;

/// <summary>
/// Marks the assembly that embeds the default model (resources <c>models/default.safetensors</c> and
/// <c>models/default.json</c>); ConsistencyModels.Runtime's <c>TextureGenerator.LoadDefault()</c> loads it by name. It
/// is its own package because its licence differs from the code's: GPL-3.0-or-later, the licence of the GIMP patterns
/// the weights were trained on (MODEL-LICENSE.md).
/// </summary>
public static class DefaultModelAssembly
{
    /// <summary>The assembly's simple name, as the runtime loads it.</summary>
    public const string Name = "ConsistencyModels.DefaultModel";
}
