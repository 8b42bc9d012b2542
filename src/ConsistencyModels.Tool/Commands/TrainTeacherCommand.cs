using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm train-teacher</c>: trains an EDM teacher on random wrap-around crops (DESIGN.md).</summary>
public static class TrainTeacherCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C: the trainer stops after the current step and saves a checkpoint.</param>
    /// <returns>The exit code.</returns>
    public static int Run(TrainTeacherOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        InputChecks.RequireData("--data", options.Data);
        // Wiring: TextureDataset.Open(options.Data) → UNetConfig preset → RunDirectory.Prepare(options.Out,
        // options.Resume, options.Force) → MetricsLog → EDM trainer (honors `cancellation`) → ModelFile.Save.
        throw CmException.NotWired("train-teacher", "TextureDataset, UNet, EdmLoss, trainer, ModelFile");
    }
}
