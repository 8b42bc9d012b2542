using System.CommandLine;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The options every training command shares (run folder, seed, resume, checkpoints, logging).</summary>
internal sealed class RunOptionSet
{
    public readonly Option<string> Out = OptionKit.RequiredPath("--out", "DIR",
        "Run folder: model.safetensors (+ model.json) when done, checkpoints/, log.jsonl (one JSON line per logged step), samples/ (grids).");
    public readonly Option<int> Batch = OptionKit.Int("--batch", "Training samples (crops) per iteration.", 32);
    public readonly Option<int> Seed = OptionKit.Int("--seed", "Random seed; runs are deterministic on CPU for a given seed.", 0, "S");
    public readonly Option<bool> Resume = OptionKit.Flag("--resume",
        "Continue the run in --out from its latest checkpoint (bit-for-bit the same as an uninterrupted run).");
    public readonly Option<bool> Force = OptionKit.Flag("--force",
        "Delete a finished or interrupted run in --out and start over: model.safetensors, model.json, log.jsonl, checkpoints/step-*, samples/step-*.png, "
        + "rounds/steps-*, pairs.safetensors (other files in the folder are kept; each deleted file is named). Refused when --out holds the teacher or the data.");
    public readonly Option<ComputeDevice?> Device = OptionKit.Choice<ComputeDevice>("--device", "Compute device (default: cpu).");
    public readonly Option<int> CheckpointEvery = OptionKit.Int("--checkpoint-every",
        "Iterations between checkpoints (written atomically; Ctrl+C also saves one after the current step).", 1000);
    public readonly Option<int> SampleEvery = OptionKit.Int("--sample-every",
        "Iterations between sample grids in samples/ (0 = only at the end).", 1000);
    public readonly Option<int> LogEvery = OptionKit.Int("--log-every", "Iterations between lines of log.jsonl.", 50);
    public readonly Option<int> Shards = OptionKit.Int("--shards",
        "Split every global batch into this many shards of --batch samples, each with its own data and noise stream (0 = one per MPI rank). One process with --shards K reproduces an mpirun -np K run.", 0, "K");
    public readonly Option<string> Distributed = new("--distributed")
    {
        Description = "Data-parallel training: none (default) or mpi (launch with mpirun -np K; each rank draws its own share of every batch, gradients are averaged with MPI_Allreduce, only rank 0 writes files). Needs Open MPI (openmpi-bin).",
        HelpName = "none|mpi",
    };

    public void AddTo(Command command)
    {
        command.Add(Out);
        command.Add(Batch);
        command.Add(Seed);
        command.Add(Resume);
        command.Add(Force);
        command.Add(Device);
        command.Add(CheckpointEvery);
        command.Add(SampleEvery);
        command.Add(LogEvery);
        command.Add(Distributed);
        command.Add(Shards);
    }

    /// <summary>Reads and checks the shared values.</summary>
    public RunSettings Bind(ParseResult result)
    {
        bool resume = result.GetValue(Resume), force = result.GetValue(Force);
        Check.Exclusive("--resume", resume, "--force", force, "--resume continues the run in --out, --force deletes it");
        return new RunSettings
        {
            Out = result.GetValue(Out)!,
            Batch = Check.InRange("--batch", result.GetValue(Batch), 1, Limits.Batch),
            Seed = result.GetValue(Seed),
            Resume = resume,
            Force = force,
            Device = result.GetValue(Device) ?? ComputeDevice.Cpu,
            CheckpointEvery = Check.AtLeast("--checkpoint-every", result.GetValue(CheckpointEvery), 1),
            SampleEvery = Check.AtLeast("--sample-every", result.GetValue(SampleEvery), 0),
            LogEvery = Check.AtLeast("--log-every", result.GetValue(LogEvery), 1),
            Distributed = ParseDistributed(result.GetValue(Distributed)),
            Shards = Check.InRange("--shards", result.GetValue(Shards), 0, Limits.Shards),
        };
    }

    private static Distributed.DistributedMode ParseDistributed(string? value)
    {
        try { return ConsistencyModels.Distributed.GradientSynchronizerFactory.ParseMode(value); }
        catch (ArgumentException) { throw new CmException($"unknown --distributed '{value}': expected none or mpi"); }
    }
}
