using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm distill</c>: turns a teacher into a 1–2-step model (cd, direct-cd, progressive, rectified) or trains one without a teacher (ct, ict).</summary>
public static class DistillCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options, per-method defaults resolved.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C: the trainer stops after the current step and saves a checkpoint.</param>
    /// <returns>The exit code.</returns>
    public static int Run(DistillOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        if (options.Teacher is not null)
            InputChecks.RequireFile("--teacher", options.Teacher, "a model trained with cm train-teacher");
        if (options.Data is not null) InputChecks.RequireData("--data", options.Data);
        // Wiring: ModelFile.Load(teacher) (student = teacher's UNetConfig; check options.Crop against it
        // with NetworkLimits) → RunDirectory.Prepare → MetricsLog → the method's loss + trainer → ModelFile.Save
        // with metadata (method, σ settings, τ chosen for 2 steps).
        throw CmException.NotWired("distill", "ModelFile, losses, trainers");
    }
}
