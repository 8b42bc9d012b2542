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
            CheckModelPath(options);
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

    /// <summary>Throws <see cref="ArgumentException"/> when --model names a folder or a missing file (checked before any
    /// GL context is made, so the error is the only output).</summary>
    public static void CheckModelPath(ViewerOptions options)
    {
        if (options.Model is null || options.Procedural) return;
        if (Directory.Exists(options.Model))
            throw new ArgumentException($"--model: '{options.Model}' is a directory, expected a .safetensors model file.");
        if (!File.Exists(options.Model))
            throw new ArgumentException($"--model: file '{options.Model}' not found.");
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the model cannot generate <paramref name="size"/>² textures.</summary>
    public static void CheckSize(ITextureSource source, int size)
    {
        if (source is TextureGenerator g && size % g.SizeMultiple != 0)
            throw new ArgumentException($"--size: {size} is not a multiple of the model's downsampling factor {g.SizeMultiple} (try {Math.Max(g.SizeMultiple, size / g.SizeMultiple * g.SizeMultiple)}).");
    }

    /// <summary>Resolves --class to an index (case-insensitive); 0 when not given or the source is unconditional.</summary>
    public static int ClassIndex(ITextureSource source, string? name) => ClassIndex(source.ClassNames, name);

    public static int ClassIndex(IReadOnlyList<string> names, string? name)
    {
        if (name is null || names.Count == 0) return 0;
        for (var i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new ArgumentException($"--class: unknown class '{name}'; expected one of {string.Join(", ", names)}.");
    }

    public static string ClassName(ITextureSource source, int index) => ClassName(source.ClassNames, index);

    public static string ClassName(IReadOnlyList<string> names, int index) =>
        names.Count == 0 ? "(unconditional)" : names[index];

    /// <summary>
    /// The GL compute backend when the library's choice (<see cref="GlTextureFeeds.Choose"/>: --backend gl, or auto on a
    /// hardware GPU) picks it on <paramref name="gl"/>'s context: the --model file or the default model. Null when it
    /// picks libtorch (--backend torch, --procedural, or auto on a software renderer or without compute shaders).
    /// </summary>
    /// <exception cref="ArgumentException">--backend gl cannot run here (no compute shaders) or the model file is bad.</exception>
    public static GlComputeTextureGenerator? CreateCompute(ViewerOptions options, Silk.NET.OpenGL.GL gl, out string why)
    {
        if (options.Procedural)
        {
            why = "procedural source, no model";
            return null;
        }
        TextureBackend chosen;
        try
        {
            chosen = GlTextureFeeds.Choose(gl, options.Backend, out why);
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException($"--backend gl: {e.Message}");
        }
        if (chosen == TextureBackend.Torch)
        {
            why = options.Backend == TextureBackend.Torch ? "--backend torch" : $"{why}; --backend gl forces the GL backend";
            return null;
        }
        try
        {
            if (options.Model is not null)
            {
                if (!File.Exists(options.Model)) throw new ArgumentException($"--model: file '{options.Model}' not found.");
                return GlComputeTextureGenerator.FromFile(gl, options.Model);
            }
            return GlComputeTextureGenerator.LoadDefault(gl);
        }
        catch (ModelFormatException e)
        {
            throw new ArgumentException($"--model: {e.Message}");
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the GL backend's model cannot generate <paramref name="size"/>² textures.</summary>
    public static void CheckSize(GlComputeTextureGenerator g, int size)
    {
        if (size % g.SizeMultiple != 0)
            throw new ArgumentException($"--size: {size} is not a multiple of the model's downsampling factor {g.SizeMultiple} (try {Math.Max(g.SizeMultiple, size / g.SizeMultiple * g.SizeMultiple)}).");
    }
}
