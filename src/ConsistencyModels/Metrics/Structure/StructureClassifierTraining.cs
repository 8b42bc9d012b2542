using System.Diagnostics;
using ConsistencyModels.Data;
using ConsistencyModels.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConsistencyModels.Metrics.Structure;

/// <summary>
/// Trains a <see cref="StructureClassifier"/> on random real crops of a <see cref="TextureDataset"/> (one class per
/// pattern or class folder; wrap-around crops with flips and quarter turns) plus, as "no structure", phase-randomized
/// copies of a quarter of each batch (the same spectrum without the shapes), then scores crops drawn with another seed
/// (the held-out ceiling) and phase-randomized held-out crops. Deterministic for a seed on one thread count.
/// </summary>
public static class StructureClassifierTraining
{
    /// <summary>Seed offset of the held-out crops (never drawn in training).</summary>
    public const long HeldOutSeed = 0x5EED_C1A5;

    /// <summary>Trains and evaluates; <paramref name="progress"/> gets (steps done, mean loss of the last steps).</summary>
    /// <exception cref="TrainingDivergedException">The loss became NaN/Inf.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static (StructureClassifier Classifier, StructureClassifierMetadata Metadata) Train(
        TextureDataset dataset, StructureClassifierTrainingOptions options, Device? device = null,
        Action<int, double>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        Guard.AtLeast(options.Iterations, 1, "options.Iterations");
        Guard.AtLeast(options.BatchSize, 2, "options.BatchSize");
        Guard.Positive(options.LearningRate, "options.LearningRate");
        Guard.AtLeast(options.WarmupIterations, 0, "options.WarmupIterations");
        Guard.AtLeast(options.HeldOutCount, 1, "options.HeldOutCount");
        if (dataset.ClassNames.Count < 2)
            throw new ArgumentException($"{dataset.Root} has one class; the structure classifier needs at least 2 (class folders or GIMP patterns).", nameof(dataset));
        device ??= CPU;
        var config = new StructureClassifierConfig
        {
            ClassNames = dataset.ClassNames.ToArray(),
            CropSize = options.CropSize,
            Downsample = options.Downsample,
            StemChannels = options.StemChannels,
            StageChannels = options.StageChannels.ToArray(),
        };
        var clock = Stopwatch.StartNew();
        torch.manual_seed(options.Seed);
        var classifier = new StructureClassifier(config);
        try
        {
            classifier.to(device);
            classifier.train();
            var sampler = new CropSampler(dataset, options.CropSize, options.Seed);
            using var phaseNoise = new Generator(unchecked((ulong)options.Seed ^ 0x9A5EUL));
            int unstructured = Math.Max(1, options.BatchSize / 4);
            using var noStructure = ((long)config.NoStructureIndex).ToScalar();
            var recent = new Queue<double>();
            using var adam = new AdamOptimizer(classifier.parameters());
            for (int step = 0; step < options.Iterations; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var (images, labels) = sampler.Sample(options.BatchSize);
                var real = StructurePreprocessing.Apply(images.to(device), options.Downsample);
                var shuffled = StructurePreprocessing.PhaseRandomized(real.narrow(0, 0, unstructured), phaseNoise);
                var input = torch.cat([real, shuffled], 0);
                var none = torch.full([unstructured], noStructure, dtype: int64);
                var target = torch.cat([labels, none], 0).to(device);
                var loss = F.cross_entropy(classifier.forward(input), target);
                double value = loss.item<float>();
                if (!double.IsFinite(value))
                    throw new TrainingDivergedException(step, "classifier loss", null);
                adam.ZeroGrad();
                loss.backward();
                adam.LearningRate = LearningRate(options, step);
                adam.Step();
                recent.Enqueue(value);
                if (recent.Count > 50) recent.Dequeue();
                progress?.Invoke(step + 1, recent.Average());
            }
            classifier.eval();
            var heldOut = HeldOut(classifier, dataset, options.CropSize, options.HeldOutCount, options.Seed);
            double rejected = PhaseRandomizedRejected(classifier, dataset, options.CropSize, options.HeldOutCount, options.Seed);
            var metadata = new StructureClassifierMetadata
            {
                Config = config,
                Iterations = options.Iterations,
                BatchSize = options.BatchSize,
                LearningRate = options.LearningRate,
                Seed = options.Seed,
                DataHash = dataset.Hash,
                HeldOutCount = options.HeldOutCount,
                HeldOutAccuracy = heldOut.Overall,
                HeldOutPerClass = config.ClassNames.Select((n, i) => (n, i)).Where(p => heldOut.Counts[p.i] > 0)
                    .ToDictionary(p => p.n, p => heldOut.PerClass[p.i]),
                PhaseRandomizedRejected = rejected,
                FinalLoss = recent.Average(),
                TrainSeconds = clock.Elapsed.TotalSeconds,
            };
            return (classifier, metadata);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>Scores <paramref name="count"/> real crops drawn with the held-out seed (derived from <paramref name="seed"/>).</summary>
    public static StructureScore HeldOut(StructureClassifier classifier, TextureDataset dataset, int cropSize, int count, long seed)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(dataset);
        var (images, labels) = new CropSampler(dataset, cropSize, seed ^ HeldOutSeed).Sample(count);
        using (images)
        using (labels)
            return StructureScore.Compute(classifier, images, labels);
    }

    /// <summary>Share of phase-randomized held-out crops that the classifier assigns to "no structure".</summary>
    public static double PhaseRandomizedRejected(StructureClassifier classifier, TextureDataset dataset, int cropSize, int count, long seed)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(dataset);
        using var scope = torch.NewDisposeScope();
        using var noise = new Generator(unchecked((ulong)(seed ^ HeldOutSeed) ^ 0x9A5EUL));
        var (images, _) = new CropSampler(dataset, cropSize, seed ^ HeldOutSeed).Sample(count);
        bool wasTraining = classifier.training;
        classifier.eval();
        using var noGrad = torch.no_grad();
        var device = classifier.parameters().First().device;
        int none = 0;
        for (int start = 0; start < count; start += 64)
        {
            using var batchScope = torch.NewDisposeScope();
            var batch = images.narrow(0, start, Math.Min(64, count - start)).to(device);
            var shuffled = StructurePreprocessing.PhaseRandomized(StructurePreprocessing.Apply(batch, classifier.Config.Downsample), noise);
            var predicted = classifier.forward(shuffled).argmax(1).cpu().data<long>().ToArray();
            none += predicted.Count(p => p == classifier.Config.NoStructureIndex);
        }
        if (wasTraining) classifier.train();
        return (double)none / count;
    }

    /// <summary>Linear warm-up to the peak, then cosine decay to 0 at the last step.</summary>
    public static double LearningRate(StructureClassifierTrainingOptions options, int step)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (step < options.WarmupIterations)
            return options.LearningRate * (step + 1) / options.WarmupIterations;
        int decay = Math.Max(1, options.Iterations - options.WarmupIterations);
        double t = Math.Min(1.0, (double)(step - options.WarmupIterations) / decay);
        return options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * t));
    }
}
