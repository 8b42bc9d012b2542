using ConsistencyModels.IO;
using ConsistencyModels.Naming;
using ConsistencyModels.Networks;
using static TorchSharp.torch;

namespace ConsistencyModels.Tool.Commands;

/// <summary>Checks of a loaded model against the command line, each failing with one line.</summary>
internal static class ModelChecks
{
    /// <summary>Throws unless <paramref name="size"/>² fits the network (a positive multiple of its downsampling).</summary>
    /// <param name="option">The option that gave the size, e.g. <c>--size</c>.</param>
    /// <param name="size">The size in pixels.</param>
    /// <param name="modelPath">The model file, for the message.</param>
    /// <param name="config">Its network configuration.</param>
    public static void Size(string option, int size, string modelPath, UNetConfig config)
    {
        try
        {
            config.ValidateImageSize(size, size);
        }
        catch (ArgumentException e)
        {
            int f = config.DownsamplingFactor;
            throw new CmException(
                $"{option} {size} does not fit {modelPath}: expected a positive multiple of {f} (the network's downsampling), e.g. {Math.Max(f, (size + f / 2) / f * f)}", e);
        }
    }

    /// <summary>
    /// Loads the diffusion teacher that <paramref name="option"/> names (<c>--teacher</c>, <c>--init</c>) onto
    /// <paramref name="device"/>: a missing file, a corrupt one and a model of another kind each fail with one line
    /// (usage exit code). The caller owns the model and adds the checks of its own command.
    /// </summary>
    public static LoadedModel LoadTeacher(string option, string path, Device? device = null) =>
        LoadOfKind(option, path, ModelKind.Teacher, "a model trained with cm train-teacher", "a diffusion teacher from cm train-teacher", device);

    /// <summary>Loads a model of <paramref name="kind"/>, failing like <see cref="LoadTeacher"/>; <paramref name="file"/>
    /// and <paramref name="model"/> name what was expected in the missing-file and wrong-kind messages.</summary>
    public static LoadedModel LoadOfKind(string option, string path, ModelKind kind, string file, string model, Device? device = null)
    {
        InputChecks.RequireFile(option, path, file);
        LoadedModel loaded;
        try
        {
            loaded = ModelFile.Load(path, device);
        }
        catch (ModelFormatException e)
        {
            throw new CmException($"{option} {path}: {e.Message}", e);
        }
        if (loaded.Kind == kind) return loaded;
        loaded.Dispose();
        throw new CmException($"{option} {path}: is a {EnumNames.Of(loaded.Kind)} model, expected {model}");
    }
}
