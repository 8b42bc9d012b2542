using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm bench</c>: times the network's generation throughput (textures/s, ms per frame).</summary>
public static class BenchCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output (results through <see cref="IProgressReporter.Info"/>).</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(BenchOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        if (options.Model is not null) InputChecks.RequireFile("--model", options.Model, "a .safetensors model written by cm");
        if (options.Json is not null) InputChecks.RequireParentFolder("--json", options.Json);
        // Wiring: UNet (from the model or preset) in eval/no-grad → warmup → time `Frames` generations of
        // `Steps` evaluations at `Size`² × `Batch` → median/p95 ms, textures/s → table + JSON.
        throw CmException.NotWired("bench", "UNet, ModelFile");
    }
}
