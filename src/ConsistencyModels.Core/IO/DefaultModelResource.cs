using System.Reflection;

namespace ConsistencyModels.IO;

/// <summary>
/// Finds the default model: the resource <see cref="ResourceName"/> embedded in the <see cref="AssemblyName"/> assembly
/// (the ConsistencyModels.DefaultModel package, GPL-3.0-or-later weights, loaded by name: no package depends on it).
/// Used by <c>TextureGenerator.LoadDefault</c> and, without TorchSharp, by <see cref="ModelWeights.LoadDefault"/>.
/// </summary>
public static class DefaultModelResource
{
    /// <summary>Simple name of the assembly that embeds the default model.</summary>
    public const string AssemblyName = "ConsistencyModels.DefaultModel";

    /// <summary>Name of the default model's resource in that assembly.</summary>
    public const string ResourceName = "models/default.safetensors";

    /// <summary>How messages name the default model.</summary>
    public const string Source = "default model";

    /// <summary>Whether the app carries the default model (it references the <see cref="AssemblyName"/> package or
    /// project, and that build embeds <see cref="ResourceName"/>).</summary>
    public static bool IsAvailable => FindAssembly()?.GetManifestResourceInfo(ResourceName) is not null;

    /// <summary>The default model file's bytes (safetensors) as a stream; the caller disposes it.</summary>
    /// <exception cref="FileNotFoundException">The app does not reference that package, or its build embeds no model.</exception>
    public static Stream Open()
    {
        var assembly = FindAssembly() ?? throw new FileNotFoundException(
            $"The default model is not part of this app: add <PackageReference Include=\"{AssemblyName}\" /> "
            + $"(its weights are GPL-3.0-or-later, see its MODEL-LICENSE.md), or pass your own model file to new TextureGenerator(path).",
            AssemblyName + ".dll");
        return assembly.GetManifestResourceStream(ResourceName)
            ?? throw new FileNotFoundException(
                $"The default model is not embedded in this build of {AssemblyName} "
                + $"(resource '{ResourceName}' missing): train it with the cm tool into runtime/models/default.safetensors and rebuild, or pass a model file.",
                ResourceName);
    }

    // The default model's assembly when the app carries it.
    private static Assembly? FindAssembly()
    {
        try
        {
            return Assembly.Load(new System.Reflection.AssemblyName(AssemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }
}
