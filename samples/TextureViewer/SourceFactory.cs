using ConsistencyModels.IO;
using ConsistencyModels.Runtime;

namespace TextureViewer;

/// <summary>Chooses the texture source: the embedded default model, a --model file, or the procedural stand-in.</summary>
internal static class SourceFactory
{
    /// <summary>
    /// --procedural: the procedural source. --model FILE: that model (a missing or broken file is an error, exit 2).
    /// Otherwise the default model embedded in the runtime; if it cannot be loaded, the procedural source, saying why.
    /// </summary>
    public static ITextureSource Create(ViewerOptions options, TextWriter log)
    {
        if (options.Procedural)
            return new ProceduralTextureSource();
        if (options.Model is not null)
        {
            if (Directory.Exists(options.Model))
                throw new ArgumentException($"--model: '{options.Model}' is a directory, expected a .safetensors model file.");
            if (!File.Exists(options.Model))
                throw new ArgumentException($"--model: file '{options.Model}' not found.");
            try
            {
                return new TextureGenerator(options.Model, precision: options.Precision);
            }
            catch (ModelFormatException e)
            {
                throw new ArgumentException($"--model: {e.Message}");
            }
        }
        try
        {
            return TextureGenerator.LoadDefault(precision: options.Precision);
        }
        catch (Exception e) when (e is FileNotFoundException or ModelFormatException or IOException)
        {
            log.WriteLine($"note: falling back to the procedural source: {e.Message}");
            return new ProceduralTextureSource();
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the model cannot generate <paramref name="size"/>² textures.</summary>
    public static void CheckSize(ITextureSource source, int size)
    {
        if (source is TextureGenerator g && size % g.SizeMultiple != 0)
            throw new ArgumentException($"--size: {size} is not a multiple of the model's downsampling factor {g.SizeMultiple} (try {Math.Max(g.SizeMultiple, size / g.SizeMultiple * g.SizeMultiple)}).");
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
