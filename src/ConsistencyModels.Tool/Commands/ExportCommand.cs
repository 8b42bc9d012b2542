using System.Reflection;
using ConsistencyModels.IO;
using ConsistencyModels.Onnx;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using TorchSharp;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm export</c>: <c>--format onnx</c> writes the distilled network with its preconditioning and sampling plan
/// as one ONNX file; <c>--format safetensors-f16</c> writes the same model file with float16 weights,
/// <c>--format safetensors</c> with float32 ones (a training checkpoint becomes a model file).</summary>
internal static class ExportCommand
{
    public static int Run(ExportOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        if (Directory.Exists(options.Model))
            throw new CmException($"--model '{options.Model}' is a directory, expected a .safetensors model file.");
        if (!File.Exists(options.Model))
            throw new CmException($"--model '{options.Model}' does not exist.");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(options.Out));
        if (folder is not null && !Directory.Exists(folder))
            throw new CmException($"--out '{options.Out}': the folder '{folder}' does not exist.");
        if (string.Equals(Path.GetFullPath(options.Out), Path.GetFullPath(options.Model), StringComparison.Ordinal))
            throw new CmException("--out must not be the model file itself.");
        cancellation.ThrowIfCancellationRequested();
        LoadedModel model;
        try
        {
            model = ModelFile.Load(options.Model);
        }
        catch (ModelFormatException e)
        {
            throw new CmException($"--model: {e.Message}", e);
        }
        using (model)
        {
            if (options.Format == ExportFormat.SafetensorsF16)
            {
                WriteHalf(model, options, progress);
                return ExitCodes.Ok;
            }
            if (options.Format == ExportFormat.Safetensors)
            {
                ModelFile.Save(options.Out, model.Model, model.Metadata);
                progress.Info($"wrote {options.Out}: {new FileInfo(options.Out).Length / 1024.0 / 1024.0:F1} MB, float32, a {Naming.EnumNames.Of(model.Kind)} model "
                    + $"({model.Metadata.TrainingIterations} iterations; {Path.ChangeExtension(options.Out, ".json")} beside it)");
                return ExitCodes.Ok;
            }
            OnnxExport export;
            try
            {
                export = ModelExport.Build(model, typeof(ExportCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "");
            }
            catch (ArgumentException e)
            {
                throw new CmException($"--model '{options.Model}': {e.Message}", e);
            }
            export.Save(options.Out);
            var plan = export.Plan;
            progress.Info($"wrote {options.Out}: {export.Bytes.Length / 1024.0 / 1024.0:F1} MB, opset {OnnxExporter.Opset}, {plan.Sampler} sampling "
                + $"(1 step: sigma {string.Join(", ", plan.OneStep.Sigmas)}; 2 steps: sigma {string.Join(", ", plan.TwoSteps.Sigmas.Select(s => s.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)))}); "
                + $"ops: {string.Join(" ", export.OpTypes)}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>float16's largest finite value: a weight beyond it would become infinity.</summary>
    private const float HalfMax = 65504f;

    private static void WriteHalf(LoadedModel model, ExportOptions options, IProgressReporter progress)
    {
        double worstRelative = 0;
        foreach (var (name, t) in model.Net.state_dict())
        {
            if (!t.is_floating_point() || t.numel() == 0) continue;
            using var scope = torch.NewDisposeScope();
            var full = t.detach().to(torch.ScalarType.Float32);
            float largest = full.abs().max().item<float>();
            if (!float.IsFinite(largest) || largest > HalfMax)
                throw new CmException($"--model '{options.Model}': tensor '{name}' holds {largest:G4}, beyond float16's range (±{HalfMax}); keep this model in float32.");
            var back = full.to(torch.ScalarType.Float16).to(torch.ScalarType.Float32);
            double norm = full.norm().item<float>();
            if (norm > 0) worstRelative = Math.Max(worstRelative, (back - full).norm().item<float>() / norm);
        }
        ModelFile.Save(options.Out, model.Model, model.Metadata, torch.ScalarType.Float16);
        double before = new FileInfo(options.Model).Length / 1024.0 / 1024.0, after = new FileInfo(options.Out).Length / 1024.0 / 1024.0;
        progress.Info($"wrote {options.Out}: {after:F1} MB with float16 weights (the source is {before:F1} MB); "
            + $"largest relative rounding error of a tensor {worstRelative:E1}; loads as float32 (metadata unchanged, {Path.ChangeExtension(options.Out, ".json")} beside it)");
    }
}
