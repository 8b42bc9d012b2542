using System.Globalization;

namespace ConsistencyModels.Tool.Runs;

/// <summary>
/// The folder of one training run: <c>model.safetensors</c> (+ <c>model.json</c>) when finished,
/// <c>checkpoints/step-00001000.safetensors</c>, <c>log.jsonl</c> and <c>samples/step-00001000.png</c>.
/// <see cref="Prepare"/> refuses to overwrite a finished or interrupted run unless asked to.
/// </summary>
public sealed class RunDirectory
{
    private const string CheckpointPrefix = "step-";
    private const string CheckpointExtension = ".safetensors";

    private RunDirectory(string root, bool isResume)
    {
        Root = root;
        IsResume = isResume;
    }

    /// <summary>The run folder (full path).</summary>
    public string Root { get; }

    /// <summary>Whether the run continues from <see cref="LatestCheckpointPath"/>.</summary>
    public bool IsResume { get; }

    /// <summary>The final model: <c>DIR/model.safetensors</c>.</summary>
    public string ModelPath => Path.Combine(Root, "model.safetensors");

    /// <summary>The final model's metadata for people: <c>DIR/model.json</c>.</summary>
    public string ModelJsonPath => Path.Combine(Root, "model.json");

    /// <summary>The checkpoint folder: <c>DIR/checkpoints/</c>.</summary>
    public string CheckpointsDirectory => Path.Combine(Root, "checkpoints");

    /// <summary>The metrics log: <c>DIR/log.jsonl</c>.</summary>
    public string LogPath => Path.Combine(Root, "log.jsonl");

    /// <summary>The sample-grid folder: <c>DIR/samples/</c>.</summary>
    public string SamplesDirectory => Path.Combine(Root, "samples");

    /// <summary>The checkpoint file for <paramref name="step"/>.</summary>
    /// <param name="step">The training step (≥ 0).</param>
    public string CheckpointPath(long step) =>
        Path.Combine(CheckpointsDirectory, $"{CheckpointPrefix}{step:D8}{CheckpointExtension}");

    /// <summary>The sample grid written at <paramref name="step"/>.</summary>
    /// <param name="step">The training step (≥ 0).</param>
    public string SampleGridPath(long step) => Path.Combine(SamplesDirectory, $"{CheckpointPrefix}{step:D8}.png");

    /// <summary>The highest checkpoint step in <see cref="CheckpointsDirectory"/>, or null if there is none.</summary>
    public long? LatestCheckpointStep() => Latest()?.Step;

    /// <summary>The newest checkpoint file, or null if there is none.</summary>
    public string? LatestCheckpointPath() => Latest()?.Path;

    /// <summary>
    /// The run folder as a non-primary MPI rank sees it: the paths only, nothing checked or created (rank 0 prepares
    /// the folder and is the only one that writes).
    /// </summary>
    /// <param name="path">The --out folder.</param>
    /// <param name="resume">Whether the run resumes.</param>
    public static RunDirectory Attach(string path, bool resume) => new(Path.GetFullPath(path), resume);

    /// <summary>
    /// Opens <paramref name="path"/> for a run and creates its folders.
    /// A new run needs an empty or missing folder (other files are left alone); a folder that already
    /// holds a finished run (<c>model.safetensors</c>) or an interrupted one (checkpoints) is refused
    /// unless <paramref name="resume"/> (continue from the latest checkpoint) or <paramref name="force"/>
    /// (delete the old run's files and start over) is set. <paramref name="force"/> is refused when the folder
    /// is or holds one of <paramref name="inputs"/> (the teacher, the data) or lies inside an input folder: the
    /// command would delete what it reads. Leftover temporary files of an interrupted write are removed.
    /// </summary>
    /// <param name="path">The run folder (<c>--out</c>).</param>
    /// <param name="resume">Continue from the latest checkpoint (<c>--resume</c>).</param>
    /// <param name="force">Replace an old run (<c>--force</c>).</param>
    /// <param name="inputs">What the command reads, as (option, path), e.g. (<c>--teacher</c>, FILE).</param>
    /// <param name="info">Receives one line per thing deleted (what <c>--force</c> deletes, leftovers removed).</param>
    /// <exception cref="CmException">The folder cannot be used as asked (one-line message).</exception>
    public static RunDirectory Prepare(string path, bool resume, bool force,
        IReadOnlyList<(string Option, string Path)>? inputs = null, Action<string>? info = null)
    {
        if (resume && force)
            throw new CmException("--resume and --force exclude each other: --resume continues the run in --out, --force deletes it");
        string root = Path.GetFullPath(path);
        if (File.Exists(root))
            throw new CmException($"--out {path}: is a file, expected a folder for the run");

        var run = new RunDirectory(root, resume);
        bool finished = File.Exists(run.ModelPath);
        long? latest = Directory.Exists(run.CheckpointsDirectory) ? run.LatestCheckpointStep() : null;

        if (resume)
        {
            if (latest is null)
                throw new CmException(finished
                    ? $"--resume: {path} holds a finished run without checkpoints to continue from; use --force to start over"
                    : $"--resume: no checkpoint to resume from in {Path.Combine(path, "checkpoints")}; drop --resume to start a new run");
        }
        else if (force)
        {
            foreach (var (option, input) in inputs ?? [])
                if (RunInputs.Conflict(root, input) is { } why)
                    throw new CmException($"--force would delete the run in --out {path}, which {why} {option} {input} that this command reads; choose another --out folder");
            var doomed = run.RunFiles();
            if (doomed.Count > 0)
                info?.Invoke($"--force: deleting the old run in {path}: {RunInputs.Describe(root, doomed)}");
            foreach (var file in doomed) File.Delete(file);
        }
        else if (finished)
        {
            throw new CmException($"--out {path} already holds a finished run (model.safetensors); pass --force to overwrite it or --resume to continue training it");
        }
        else if (latest is long step)
        {
            throw new CmException($"--out {path} holds an interrupted run (last checkpoint at step {step}); pass --resume to continue it or --force to start over");
        }

        Directory.CreateDirectory(run.Root);
        Directory.CreateDirectory(run.CheckpointsDirectory);
        Directory.CreateDirectory(run.SamplesDirectory);
        var leftovers = run.LeftoverTemporaryFiles();
        if (leftovers.Count > 0)
        {
            foreach (var file in leftovers) File.Delete(file);
            info?.Invoke($"removed {leftovers.Count} leftover temporary file(s) of an interrupted write: {RunInputs.Describe(root, leftovers)}");
        }
        return run;
    }

    /// <summary>The rounds folder of progressive distillation: <c>DIR/rounds/</c>.</summary>
    public string RoundsDirectory => Path.Combine(Root, "rounds");

    /// <summary>The rectified pairs a run makes once and reuses on resume: <c>DIR/pairs.safetensors</c>.</summary>
    public string PairsPath => Path.Combine(Root, "pairs.safetensors");

    /// <summary>Only the files a run writes (never anything else the user keeps in the folder).</summary>
    private List<string> RunFiles()
    {
        var files = new[] { ModelPath, ModelJsonPath, LogPath, PairsPath }.Where(File.Exists).ToList();
        files.AddRange(Checkpoints(CheckpointsDirectory).Select(c => c.Path).Order(StringComparer.Ordinal));
        if (Directory.Exists(SamplesDirectory))
            files.AddRange(Directory.EnumerateFiles(SamplesDirectory, CheckpointPrefix + "*.png").Order(StringComparer.Ordinal));
        if (Directory.Exists(RoundsDirectory))
            files.AddRange(Directory.EnumerateFiles(RoundsDirectory, "steps-*.*")
                .Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal));
        return files;
    }

    /// <summary>
    /// Temporary files a killed write leaves behind: the hidden <c>.NAME.GUID.tmp</c> of atomic safetensors and JSON
    /// writes (model, pairs, checkpoints, rounds), and <c>NAME.tmp</c> of the log and sample grids.
    /// </summary>
    private List<string> LeftoverTemporaryFiles()
    {
        var found = new List<string>();
        void Scan(string directory, Func<string, bool> matches)
        {
            if (!Directory.Exists(directory)) return;
            found.AddRange(Directory.EnumerateFiles(directory, "*.tmp").Where(f => matches(Path.GetFileName(f))).Order(StringComparer.Ordinal));
        }
        Scan(Root, name => RunInputs.IsAtomicTemporary(name, "model.safetensors", "model.json", "pairs.safetensors") || name == "log.jsonl.tmp");
        Scan(CheckpointsDirectory, name => RunInputs.IsAtomicTemporary(name) && name.StartsWith("." + CheckpointPrefix, StringComparison.Ordinal));
        Scan(SamplesDirectory, name => name.StartsWith(CheckpointPrefix, StringComparison.Ordinal) && name.EndsWith(".png.tmp", StringComparison.Ordinal));
        Scan(RoundsDirectory, name => RunInputs.IsAtomicTemporary(name) && name.StartsWith(".steps-", StringComparison.Ordinal));
        return found;
    }

    private (long Step, string Path)? Latest()
    {
        (long Step, string Path)? best = null;
        foreach (var checkpoint in Checkpoints(CheckpointsDirectory))
            if (best is null || checkpoint.Step > best.Value.Step) best = checkpoint;
        return best;
    }

    private static IEnumerable<(long Step, string Path)> Checkpoints(string directory)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(directory, CheckpointPrefix + "*" + CheckpointExtension))
        {
            var name = Path.GetFileName(file);
            var digits = name[CheckpointPrefix.Length..^CheckpointExtension.Length];
            if (digits.Length > 0 && digits.All(char.IsAsciiDigit)
                && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
                yield return (step, file);
        }
    }
}
