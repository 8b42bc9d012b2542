using System.CommandLine;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>export</c> command line.</summary>
internal sealed class ExportCli
{
    private readonly Option<string> model = OptionKit.RequiredPath("--model", "FILE",
        "Distilled model to export (.safetensors from cm distill: a consistency model, or a rectified/progressive few-step denoiser).");
    private readonly Option<string> output = OptionKit.RequiredPath("--out", "FILE", "Output file (.onnx).");
    private readonly Option<ExportFormat?> format = OptionKit.Choice<ExportFormat>("--format",
        "Output format: onnx (opset 19; inputs x, sigma, class; the 1-2 step plan in its metadata; see docs/ONNX.md).", required: true);

    public ExportCli()
    {
        Command = new Command("export", "Export a distilled model for other engines (ONNX Runtime, Unity Sentis, Unreal NNE).");
        Command.Add(model);
        Command.Add(output);
        Command.Add(format);
    }

    public Command Command { get; }

    public ExportOptions Bind(ParseResult result)
    {
        string outPath = result.GetValue(output)!;
        if (!outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new CmException($"--out must name a .onnx file, got '{outPath}'.");
        return new ExportOptions(result.GetValue(model)!, outPath, result.GetValue(format) ?? ExportFormat.Onnx);
    }
}
