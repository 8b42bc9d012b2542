using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm sample</c>: writes a PNG grid of samples from a model.</summary>
public static class SampleCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(SampleOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        InputChecks.RequireFile("--model", options.Model, "a .safetensors model written by cm");
        InputChecks.RequireParentFolder("--out", options.Out);
        // Wiring: ModelFile.Load → sampler (options.Sampler ?? model default) → ImageIO grid (2×2 tiles with --tile).
        throw CmException.NotWired("sample", "ModelFile, solvers, ImageIO");
    }
}
