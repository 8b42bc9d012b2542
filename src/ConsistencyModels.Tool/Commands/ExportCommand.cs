using System.Reflection;
using ConsistencyModels.IO;
using ConsistencyModels.Onnx;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm export --format onnx</c>: the distilled network with its preconditioning and sampling plan as one ONNX file.</summary>
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
}
