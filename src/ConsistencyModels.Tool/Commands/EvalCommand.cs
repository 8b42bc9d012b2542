using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm eval</c>: the metrics of DESIGN.md as a table and JSON.</summary>
public static class EvalCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output (the table goes through <see cref="IProgressReporter.Info"/>).</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(EvalOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        InputChecks.RequireFile("--model", options.Model, "a .safetensors model written by cm");
        InputChecks.RequireData("--data", options.Data);
        if (options.Teacher is not null)
            InputChecks.RequireFile("--teacher", options.Teacher, "a model trained with cm train-teacher");
        if (options.Json is not null) InputChecks.RequireParentFolder("--json", options.Json);
        if (options.Grid is not null) InputChecks.RequireParentFolder("--grid", options.Grid);
        // Wiring: ModelFile.Load → samples → Metrics (SWD per level + mean, spectrum, seam, diversity,
        // nearest crop, ODE error with --teacher, floor with --real) → table + JSON (swd_mean, swd_per_level,
        // spectrum_distance, seam_error, diversity, nfe).
        throw CmException.NotWired("eval", "ModelFile, solvers, metrics, TextureDataset");
    }
}
