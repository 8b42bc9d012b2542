using System.CommandLine;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>export</c> command line.</summary>
internal sealed class ExportCli
{
    private readonly Option<string> model = OptionKit.RequiredPath("--model", "FILE",
        "Distilled model to export (.safetensors from cm distill: a consistency model, or a rectified/progressive few-step denoiser).");
    private readonly Option<string> output = OptionKit.RequiredPath("--out", "FILE", "Output file (.onnx for onnx, .safetensors for safetensors and safetensors-f16; a .json with the metadata is written beside those).");
    private readonly Option<ExportFormat?> format = OptionKit.Choice<ExportFormat>("--format",
        "Output format: onnx (opset 19; inputs x, sigma, class; the 1-2 step plan in its metadata; see docs/ONNX.md); "
        + "safetensors-f16 (the same model file with float16 weights: half the size, loads as float32; any model kind); "
        + "safetensors (float32: a training checkpoint's EMA weights as a model file, e.g. to continue with train-teacher --init).", required: true);

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
        var chosen = result.GetValue(format) ?? ExportFormat.Onnx;
        string extension = chosen == ExportFormat.Onnx ? ".onnx" : ".safetensors";
        if (!outPath.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            throw new CmException($"--out must name a {extension} file for --format {Naming.EnumNames.Of(chosen)}, got '{outPath}'.");
        return new ExportOptions(result.GetValue(model)!, outPath, chosen);
    }
}
