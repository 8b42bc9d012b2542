using ConsistencyModels.Tool.Options;
using ConsistencyModels.Sampling;
using ConsistencyModels.Losses;
using ConsistencyModels.Diffusion;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Tests.CommandLine;

/// <summary>Valid command lines map to the expected options records (defaults and explicit values).</summary>
public class ParsingTests
{
    private static T Parse<T>(params string[] args)
    {
        var harness = new CliHarness();
        var result = harness.Run(args);
        Assert.That(result.ExitCode, Is.EqualTo(0), result.Stderr);
        Assert.That(result.Stderr, Is.Empty);
        Assert.That(harness.Handlers.Received, Is.TypeOf<T>());
        return (T)harness.Handlers.Received!;
    }

    [Test]
    public void TrainTeacher_Defaults()
    {
        var options = Parse<TrainTeacherOptions>("train-teacher", "--data", "pats", "--out", "runs/t");
        Assert.That(options, Is.EqualTo(new TrainTeacherOptions
        {
            Data = "pats", Config = NetworkPreset.Small, Crop = 32, Iters = 20_000, Lr = 2e-4, Ema = 0.999, Warmup = null, Unconditional = false,
            Run = new RunSettings { Out = "runs/t", Batch = 32, Seed = 0, Device = ComputeDevice.Cpu, CheckpointEvery = 1000, SampleEvery = 1000, LogEvery = 50 },
        }));
    }

    [Test]
    public void TrainClassifier_DefaultsAndAllOptions()
    {
        var d = Parse<TrainClassifierOptions>("train-classifier", "--data", "pats", "--out", "c.safetensors");
        Assert.That(d, Is.EqualTo(new TrainClassifierOptions("pats", "c.safetensors", 128, 2, 600, 32, 2e-3, 600, 0, false, ComputeDevice.Cpu)));
        var all = Parse<TrainClassifierOptions>("train-classifier", "--data", "d", "--out", "o.safetensors", "--crop", "64", "--downsample", "1",
            "--iters", "50", "--batch", "8", "--lr", "1e-3", "--held-out", "30", "--seed", "3", "--force", "--device", "cuda");
        Assert.That(all, Is.EqualTo(new TrainClassifierOptions("d", "o.safetensors", 64, 1, 50, 8, 1e-3, 30, 3, true, ComputeDevice.Cuda)));
    }

    [Test]
    public void Eval_ClassifierAndPictures()
    {
        var o = Parse<EvalOptions>("eval", "--model", "m", "--data", "d", "--classifier", "c.safetensors", "--pictures", "p.png");
        Assert.That(o.Classifier, Is.EqualTo("c.safetensors"));
        Assert.That(o.Pictures, Is.EqualTo("p.png"));
        var none = Parse<EvalOptions>("eval", "--model", "m", "--data", "d");
        Assert.That(none.Classifier, Is.Null);
        Assert.That(none.Pictures, Is.Null);
        Assert.That(none.UniformReal, Is.False);
        Assert.That(Parse<EvalOptions>("eval", "--model", "m", "--data", "d", "--uniform-real").UniformReal, Is.True);
    }

    [Test]
    public void TrainTeacher_AllOptions()
    {
        var options = Parse<TrainTeacherOptions>("train-teacher", "--data", "d", "--out", "o", "--config", "tiny",
            "--crop", "16", "--batch", "8", "--iters", "300", "--lr", "1e-3", "--ema", "0.99", "--warmup", "40", "--seed", "7", "--resume",
            "--unconditional", "--device", "cuda", "--checkpoint-every", "100", "--sample-every", "0", "--log-every", "10");
        Assert.That(options, Is.EqualTo(new TrainTeacherOptions
        {
            Data = "d", Config = NetworkPreset.Tiny, Crop = 16, Iters = 300, Lr = 1e-3, Ema = 0.99, Warmup = 40, Unconditional = true,
            Run = new RunSettings { Out = "o", Batch = 8, Seed = 7, Resume = true, Device = ComputeDevice.Cuda, CheckpointEvery = 100, SampleEvery = 0, LogEvery = 10 },
        }));
    }

    [Test]
    public void TrainTeacher_NetworkShapeAndCompute()
    {
        var options = Parse<TrainTeacherOptions>("train-teacher", "--data", "d", "--out", "o", "--crop", "64",
            "--channels", "48", "--mults", "1,2,4,4", "--blocks", "2", "--attention", "3", "--compute", "fp32-cl");
        Assert.That(options.Shape.Channels, Is.EqualTo(48));
        Assert.That(options.Shape.Multipliers, Is.EqualTo(new[] { 1, 2, 4, 4 }));
        Assert.That(options.Shape.Blocks, Is.EqualTo(2));
        Assert.That(options.Shape.Attention, Is.EqualTo(new[] { 3 }));
        Assert.That(options.Compute, Is.EqualTo(ConsistencyModels.Networks.ConvolutionCompute.ChannelsLast));
        var config = options.Shape.Apply(ConsistencyModels.Networks.UNetConfig.Small);
        Assert.That(config.DownsamplingFactor, Is.EqualTo(16), "a fourth level halves once more");
        Assert.That(config.AttentionLevels, Is.EqualTo(new[] { 3 }));

        var none = Parse<TrainTeacherOptions>("train-teacher", "--data", "d", "--out", "o", "--attention", "none");
        Assert.That(none.Shape.Attention, Is.Empty);
        Assert.That(none.Shape.Multipliers, Is.Null, "a list option that is not given keeps the preset's value");
        Assert.That(none.Compute, Is.Null, "no --compute: the command picks TrainingDefault");
    }

    [Test]
    public void Distill_Cd_PaperDefaults()
    {
        var options = Parse<DistillOptions>("distill", "--method", "cd", "--teacher", "t.safetensors", "--data", "d", "--out", "o");
        Assert.That(options, Is.EqualTo(new DistillOptions
        {
            Method = TrainingMethod.Cd, Teacher = "t.safetensors", Data = "d", Iters = 10_000, Lr = 4e-4,
            Loss = DistanceMetricKind.PseudoHuber, Weighting = LossWeightingKind.Uniform, N = 18, Ema = 0.95,
            Run = new RunSettings { Out = "o" },
        }));
    }

    [Test]
    public void Distill_Ict_PaperDefaults()
    {
        var options = Parse<DistillOptions>("distill", "--method", "ict", "--data", "d", "--out", "o");
        Assert.That(options, Is.EqualTo(new DistillOptions
        {
            Method = TrainingMethod.Ict, Data = "d", Iters = 10_000, Lr = 1e-4, Loss = DistanceMetricKind.PseudoHuber,
            Weighting = LossWeightingKind.InverseStep, N = 1280, NStart = 10, Config = NetworkPreset.Small, Crop = 32,
            Run = new RunSettings { Out = "o" },
        }));
    }

    [Test]
    public void Distill_Ct_PaperDefaults()
    {
        var options = Parse<DistillOptions>("distill", "--method", "ct", "--data", "d", "--out", "o");
        Assert.That((options.N, options.NStart, options.Ema, options.Loss, options.Weighting, options.Lr),
            Is.EqualTo((150, (int?)2, (double?)0.9, DistanceMetricKind.PseudoHuber, LossWeightingKind.Uniform, 4e-4)));
    }

    [Test]
    public void Distill_Progressive_RoundsDefaultToLog2OfN()
    {
        var options = Parse<DistillOptions>("distill", "--method", "progressive", "--teacher", "t", "--data", "d", "--out", "o", "--n", "64");
        Assert.That((options.N, options.Rounds, options.Loss, options.Weighting, options.Lr),
            Is.EqualTo((64, (int?)6, DistanceMetricKind.L2, LossWeightingKind.TruncatedSnr, 2e-4)));
    }

    [Test]
    public void Distill_Rectified_PairsAndFormWithoutData()
    {
        var options = Parse<DistillOptions>("distill", "--method", "rectified", "--teacher", "t", "--out", "o",
            "--pairs", "500", "--form", "vp", "--loss", "l1", "--weighting", "snr+1");
        Assert.That((options.Data, options.Pairs, options.Form, options.Loss, options.Weighting, options.N),
            Is.EqualTo(((string?)null, (int?)500, (DiffusionFormKind?)DiffusionFormKind.Vp, DistanceMetricKind.L1, LossWeightingKind.SnrPlusOne, 18)));
    }

    [Test]
    public void Distill_DirectCd_ExplicitOverrides()
    {
        var options = Parse<DistillOptions>("distill", "--method", "direct-cd", "--teacher", "t", "--data", "d", "--out", "o",
            "--n", "40", "--loss", "l2", "--weighting", "karras", "--lr", "1e-4", "--crop", "24", "--iters", "5");
        Assert.That((options.Method, options.N, options.Loss, options.Weighting, options.Lr, options.Crop, options.Iters, options.Ema),
            Is.EqualTo((TrainingMethod.DirectCd, 40, DistanceMetricKind.L2, LossWeightingKind.Karras, 1e-4, (int?)24, 5, (double?)null)));
    }

    [Test]
    public void Distill_MethodTokensAreCaseInsensitive()
    {
        // ict with truncated-snr is honoured: the consistency-training loss takes every weighting (ConsistencyLossTests).
        var options = Parse<DistillOptions>("distill", "--method", "ICT", "--data", "d", "--out", "o", "--weighting", "Truncated-SNR");
        Assert.That((options.Method, options.Weighting), Is.EqualTo((TrainingMethod.Ict, LossWeightingKind.TruncatedSnr)));
    }

    [Test]
    public void Sample_DefaultsAndValues()
    {
        var options = Parse<SampleOptions>("sample", "--model", "m.safetensors", "--out", "grid.png");
        Assert.That(options, Is.EqualTo(new SampleOptions("m.safetensors", "grid.png", null, null, 16, 64, null, 0, false, ComputeDevice.Cpu)));
        options = Parse<SampleOptions>("sample", "--model", "m", "--out", "g.PNG", "--steps", "2", "--sampler", "dpm++2m",
            "--count", "4", "--size", "128", "--class", "Stone", "--seed", "3", "--tile");
        Assert.That(options, Is.EqualTo(new SampleOptions("m", "g.PNG", 2, SamplerKind.DpmPlusPlus2M, 4, 128, "Stone", 3, true, ComputeDevice.Cpu)));
    }

    [Test]
    public void Eval_DefaultsAndValues()
    {
        var options = Parse<EvalOptions>("eval", "--model", "m", "--data", "d");
        Assert.That(options, Is.EqualTo(new EvalOptions("m", "d", null, null, 256, 64, null, null, null, false, 0, ComputeDevice.Cpu)));
        options = Parse<EvalOptions>("eval", "--model", "m", "--data", "d", "--steps", "1", "--sampler", "consistency", "--count", "32",
            "--size", "32", "--json", "r.json", "--grid", "g.png", "--teacher", "t", "--real", "--seed", "5");
        Assert.That(options, Is.EqualTo(new EvalOptions("m", "d", 1, SamplerKind.Consistency, 32, 32, "r.json", "g.png", "t", true, 5, ComputeDevice.Cpu)));
    }

    [Test]
    public void DataFetch_DefaultCategories()
    {
        var options = Parse<DataFetchOptions>("data", "fetch", "gimp-patterns");
        Assert.That(options.Out, Is.EqualTo(Path.Combine("data", "gimp-patterns")));
        Assert.That(options.Categories, Is.EqualTo(new[] { "Stone", "Fabric", "Animal", "Paper", "Plant", "Sky", "Water", "Food" }));
        Assert.That(options.Force, Is.False);
    }

    [Test]
    public void DataFetch_CategoriesSpaceOrCommaSeparated_AllMeansEmpty()
    {
        var options = Parse<DataFetchOptions>("data", "fetch", "gimp-patterns", "--out", "p", "--categories", "Stone,Sky", "Wood", "--force");
        Assert.That((options.Out, options.Force), Is.EqualTo(("p", true)));
        Assert.That(options.Categories, Is.EqualTo(new[] { "Stone", "Sky", "Wood" }));
        Assert.That(Parse<DataFetchOptions>("data", "fetch", "gimp-patterns", "--all").Categories, Is.Empty);
    }

    [Test]
    public void DataFetch_FreedoomFlats_HasItsOwnDefaultsAndSource()
    {
        var options = Parse<DataFetchOptions>("data", "fetch", "freedoom-flats");
        Assert.That((options.Out, options.Force, options.Source), Is.EqualTo((Path.Combine("data", "freedoom-flats"), false, DataFetchSource.FreedoomFlats)));
        Assert.That(Parse<DataFetchOptions>("data", "fetch", "freedoom-flats", "--out", "f", "--force").Out, Is.EqualTo("f"));
        Assert.That(Parse<DataFetchOptions>("data", "fetch", "gimp-patterns").Source, Is.EqualTo(DataFetchSource.GimpPatterns));
    }

    [Test]
    public void Bench_ModelAndConfigExcludeEachOther_SizeChecksTheConfig()
    {
        var result = new CliHarness().Run("bench", "--model", "m", "--config", "tiny");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(result.ErrorLines, Is.EqualTo(new[] { "error: --model and --config exclude each other: the model file fixes the network" }));
        Assert.That(new CliHarness().Run("bench", "--config", "tiny", "--size", "7").ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(Parse<BenchOptions>("bench", "--config", "tiny", "--size", "12").Size, Is.EqualTo(12));
    }

    [Test]
    public void Bench_DefaultsAndModel()
    {
        var options = Parse<BenchOptions>("bench");
        Assert.That(options, Is.EqualTo(new BenchOptions(null, NetworkPreset.Small, 128, 1, 1, 100, 10, null, null, ComputeDevice.Cpu, false)));
        options = Parse<BenchOptions>("bench", "--model", "m", "--size", "100", "--steps", "2", "--batch", "4", "--frames", "20",
            "--warmup", "0", "--threads", "1", "--json", "b.json", "--train");
        Assert.That(options, Is.EqualTo(new BenchOptions("m", null, 100, 2, 4, 20, 0, 1, "b.json", ComputeDevice.Cpu, true)));
    }
}
