using ConsistencyModels.Runtime;

namespace TextureViewer;

/// <summary>Chooses the texture source: the one place to change when the model-backed generator lands.</summary>
internal static class SourceFactory
{
    public static ITextureSource Create(ViewerOptions options, TextWriter log)
    {
        if (options.Model is not null)
        {
            if (!File.Exists(options.Model))
                throw new ArgumentException($"--model: file '{options.Model}' not found.");
            // When TextureGenerator lands: return new TextureGenerator(options.Model);
            log.WriteLine($"note: model-backed generation is not in this build yet; '{options.Model}' is ignored.");
        }
        return new ProceduralTextureSource();
    }

    /// <summary>Resolves --class to an index (case-insensitive); 0 when not given or the source is unconditional.</summary>
    public static int ClassIndex(ITextureSource source, string? name)
    {
        if (name is null || source.ClassNames.Count == 0) return 0;
        for (var i = 0; i < source.ClassNames.Count; i++)
            if (string.Equals(source.ClassNames[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new ArgumentException($"--class: unknown class '{name}'; expected one of {string.Join(", ", source.ClassNames)}.");
    }

    public static string ClassName(ITextureSource source, int index) =>
        source.ClassNames.Count == 0 ? "(unconditional)" : source.ClassNames[index];
}
