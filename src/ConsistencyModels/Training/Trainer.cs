using System.Diagnostics;
using ConsistencyModels.Distributed;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// The generic training loop shared by every method: Adam (<see cref="AdamOptimizer"/>, Scalar-safe), warm-up, gradient clipping, NaN/Inf guard,
/// data-parallel gradient averaging, atomic checkpoints and exact resume. Every random draw of step k
/// comes from a generator seeded with (seed, k, rank), and batches are a pure function of (k, rank), so a
/// run resumed from a checkpoint continues bit-for-bit like an uninterrupted one.
/// </summary>
public sealed class Trainer
{
    private readonly TrainerOptions _options;
    private readonly ITrainingObjective _objective;
    private readonly IBatchSource _batches;
    private readonly IGradientSynchronizer _sync;
    private readonly ITrainingObserver _observer;
    private readonly string _checkpointDir;
    private readonly IReadOnlyDictionary<string, string> _checkpointMetadata;

    /// <summary>Creates a trainer; checkpoints go to <paramref name="checkpointDir"/>.</summary>
    public Trainer(TrainerOptions options, ITrainingObjective objective, IBatchSource batches, string checkpointDir,
        IReadOnlyDictionary<string, string>? checkpointMetadata = null, IGradientSynchronizer? synchronizer = null,
        ITrainingObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _objective = objective ?? throw new ArgumentNullException(nameof(objective));
        _batches = batches ?? throw new ArgumentNullException(nameof(batches));
        _checkpointDir = checkpointDir ?? throw new ArgumentNullException(nameof(checkpointDir));
        _checkpointMetadata = checkpointMetadata ?? new Dictionary<string, string>();
        _sync = synchronizer ?? SingleProcessSynchronizer.Instance;
        _observer = observer ?? NullTrainingObserver.Instance;
    }

    /// <summary>The checkpoint a resumed run starts from; null = the newest in the checkpoint folder.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>How many of the newest checkpoints are kept (older ones are deleted after a successful write).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>The seed of step k's generator: a 64-bit mix of (seed, step, rank).</summary>
    public static long StepSeed(long seed, long step, int rank)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xBF58476D1CE4E5B9UL ^ (ulong)(rank + 1) * 0x94D049BB133111EBUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) & 0x7FFFFFFFFFFFFFFFUL);
    }

    /// <summary>
    /// Runs (or, with <paramref name="resume"/>, continues) training to <see cref="TrainerOptions.Iterations"/>.
    /// Returns the number of steps done. Cancellation stops after the current step and writes a checkpoint.
    /// </summary>
    public long Run(bool resume, CancellationToken cancellationToken = default)
    {
        var trainable = _objective.Trainable;
        var parameters = trainable.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = new AdamOptimizer(parameters, _options.LearningRate);
        long step = 0;
        string? lastCheckpoint = null;
        string? resumeFrom = resume ? ResumeFrom ?? TrainingCheckpoint.FindLatest(_checkpointDir) : null;
        if (resumeFrom is not null)
        {
            step = TrainingCheckpoint.Load(resumeFrom, _objective.CheckpointModules, optimizer);
            lastCheckpoint = resumeFrom;
            _objective.OnResumed(step);
        }
        else
        {
            // Every rank starts from rank 0's weights (all networks: student, target, EMA).
            foreach (var module in _objective.CheckpointModules.Values)
                _sync.BroadcastParameters(module.parameters().Select(p => (Tensor)p).Concat(module.buffers()));
        }
        if (step >= _options.Iterations) return step;
        // The loss window of the log line in progress, carried by the checkpoint so a resumed run logs the same means.
        double lossSum = 0;
        long lossCount = 0;
        if (resumeFrom is not null) (lossSum, lossCount) = ReadLogWindow(resumeFrom);

        using var generator = new Generator(0, torch.CPU);
        int shards = _options.Shards > 0 ? _options.Shards : _sync.WorldSize;
        if (shards % _sync.WorldSize != 0)
            throw new ArgumentException($"the number of batch shards ({shards}) must be a multiple of the number of ranks ({_sync.WorldSize}).");
        trainable.train();
        // Training time only: checkpoints and sample grids pause it, so it/s (and the stop wait derived from it) is the
        // speed of training steps.
        var clock = Stopwatch.StartNew();
        long stepsAtLastReport = step;
        while (step < _options.Iterations)
        {
            using (var scope = NewDisposeScope())
            {
                double lr = _options.WarmupIterations > 0
                    ? _options.LearningRate * Math.Min(1.0, (step + 1.0) / _options.WarmupIterations)
                    : _options.LearningRate;
                optimizer.LearningRate = lr;

                // The global batch is `shards` shards of BatchSize, shard s drawn with (seed, step, s); this rank
                // takes shards rank, rank+K, ... and accumulates their gradients. So K ranks and one process with
                // the same shard count see the same samples and the same averaged gradient (up to summation order).
                optimizer.ZeroGrad();
                double lossValue = 0;
                for (int shard = _sync.Rank; shard < shards; shard += _sync.WorldSize)
                {
                    generator.manual_seed(StepSeed(_options.Seed, step, shard));
                    var (x0, labels) = _batches.GetBatch(step, shard, _options.BatchSize);
                    var loss = _objective.Loss(step, x0, labels, generator).Times(_sync.WorldSize / (double)shards);
                    lossValue += loss.item<float>();
                    loss.backward();
                }
                if (_sync.AnyRankNonFinite(lossValue)) throw new TrainingDivergedException(step, "loss", lastCheckpoint);
                _sync.AverageGradients(parameters);
                double gradNorm = _options.GradientClip > 0
                    ? nn.utils.clip_grad_norm_(parameters, _options.GradientClip)
                    : GradientNorm(parameters);
                if (!double.IsFinite(gradNorm)) throw new TrainingDivergedException(step, "gradient", lastCheckpoint);
                optimizer.Step();
                _objective.AfterOptimizerStep(step);
                lossSum += lossValue;
                lossCount++;
                step++;
                _observer.OnStep(step, _options.Iterations, lossValue);
            }

            // A log line every LogEvery steps; its window restarts only there, so the last line of a run that ends
            // (or stops) between them does not change what the resumed run logs next.
            bool windowEnd = step % _options.LogEvery == 0;
            if (windowEnd || step == _options.Iterations)
            {
                double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                _observer.OnProgress(step, _options.Iterations, lossSum / Math.Max(1, lossCount), (step - stepsAtLastReport) / seconds);
                if (windowEnd)
                {
                    lossSum = 0;
                    lossCount = 0;
                    stepsAtLastReport = step;
                    clock.Restart();
                }
            }
            bool cancel = cancellationToken.IsCancellationRequested;
            void SaveCheckpoint()
            {
                clock.Stop();
                if (_sync.IsPrimary)
                {
                    string path = Path.Combine(_checkpointDir, TrainingCheckpoint.FileName(step));
                    TrainingCheckpoint.Save(path, step, _objective.Method, _objective.CheckpointModules, optimizer, WithLogWindow(lossSum, lossCount));
                    lastCheckpoint = path;
                    TrainingCheckpoint.Prune(_checkpointDir, KeepCheckpoints);
                    _observer.OnCheckpoint(step, path);
                }
                _sync.Barrier();
                clock.Start();
            }
            bool saved = false;
            if (step % _options.CheckpointEvery == 0 || step == _options.Iterations || cancel)
            {
                SaveCheckpoint();
                saved = true;
            }
            if (_options.SampleEvery > 0 && step % _options.SampleEvery == 0 && step != _options.Iterations && _sync.IsPrimary)
            {
                clock.Stop();
                _observer.OnSampleTime(step);
                clock.Start();
                // Stopped while the grid was being made (it gives up at once): save this step and stop, one process only
                // (with several ranks the others are not waiting here).
                if (!cancel && cancellationToken.IsCancellationRequested && _sync.WorldSize == 1)
                {
                    cancel = true;
                    if (!saved) SaveCheckpoint();
                }
            }
            if (cancel) break;
        }
        trainable.eval();
        if (step == _options.Iterations && _sync.IsPrimary) _observer.OnSampleTime(step);
        return step;
    }

    private const string LogWindowKey = "cm.log-window";

    // The checkpoint's metadata plus the log window in progress: "sum count", the sum round-tripping exactly.
    private IReadOnlyDictionary<string, string> WithLogWindow(double lossSum, long lossCount) =>
        new Dictionary<string, string>(_checkpointMetadata)
        {
            [LogWindowKey] = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{lossSum:R} {lossCount}"),
        };

    // The log window a checkpoint carries (0, 0 for checkpoints written before it did).
    private static (double Sum, long Count) ReadLogWindow(string checkpoint)
    {
        var metadata = TrainingCheckpoint.ReadMetadata(checkpoint);
        if (!metadata.TryGetValue(LogWindowKey, out var text)) return (0, 0);
        var parts = text.Split(' ');
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return parts.Length == 2 && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, inv, out var sum)
            && long.TryParse(parts[1], System.Globalization.NumberStyles.Integer, inv, out var count) ? (sum, count) : (0, 0);
    }

    private static double GradientNorm(IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        double sum = 0;
        foreach (var p in parameters)
        {
            if (p.grad is null) continue;
            using var sq = p.grad.Square().sum();
            sum += sq.item<float>();
        }
        return Math.Sqrt(sum);
    }
}
