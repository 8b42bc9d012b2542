using ConsistencyModels.Inference;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Networks.Description;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Tests.IO;
using ConsistencyModels.Tests.Networks.Legacy;
using TorchSharp;
using static TorchSharp.torch;
using static ConsistencyModels.Tests.Networks.NetworkTestHelpers;

namespace ConsistencyModels.Tests.Networks;

/// <summary>
/// The TorchSharp <see cref="UNet"/> is derived from <see cref="NetworkDescription"/> (layers built from its
/// parameter list, forward interpreting its ops). The oracle is the hand-written module it replaced
/// (<see cref="LegacyUNet"/>, kept only here): for the same seed both create the same parameters and buffers in the same
/// order with the same values and leave the generator in the same state, and they compute the same outputs and
/// gradients bit for bit, in eval and training mode (dropout included), under every <see cref="ConvolutionCompute"/>
/// and in bfloat16. Then the three derivations agree op by op: the module's steps and its executed op sequence, the
/// TorchScript source's steps, and the description.
/// </summary>
public sealed class UNetDerivationTests
{
    private static IEnumerable<TestCaseData> Configs()
    {
        yield return new TestCaseData(UNetConfig.Tiny).SetName("Tiny (attention at level 1)");
        yield return new TestCaseData(UNetConfig.Tiny with { ClassCount = 5, PixelUnshuffleStem = true }).SetName("Tiny, 5 classes, stem");
        yield return new TestCaseData(UNetConfig.Tiny with { Dropout = 0.25, ClassCount = 2 }).SetName("Tiny with dropout 0.25");
        yield return new TestCaseData(UNetConfig.Small with { ClassCount = 30 }).SetName("Small, 30 classes (the default model's layout)");
        yield return new TestCaseData(UNetConfig.Base).SetName("Base (attention at the lowest level)");
        yield return new TestCaseData(new UNetConfig
        {
            BaseChannels = 12, ChannelMultipliers = [1, 3, 2], ResBlocksPerLevel = 2, AttentionLevels = [0, 2], PixelUnshuffleStem = false,
            CircularPadding = false, NoiseEmbedding = NoiseEmbeddingKind.Fourier, EmbeddingChannels = 20, InChannels = 1, OutChannels = 2,
        }).SetName("Odd widths, attention at 0 and 2, fourier, zero padding, 1 → 2 channels");
    }

    private static byte[] Bytes(Tensor t)
    {
        using var c = t.detach().contiguous();
        return c.bytes.ToArray();
    }

    private static void AssertBitEqual(Tensor expected, Tensor actual, string what)
    {
        Assert.That(actual.dtype, Is.EqualTo(expected.dtype), what);
        Assert.That(actual.shape, Is.EqualTo(expected.shape), what);
        Assert.That(Bytes(actual), Is.EqualTo(Bytes(expected)), what);
    }

    private static (Tensor x, Tensor c, Tensor? labels) Inputs(UNetConfig cfg, long seed, int batch = 2)
    {
        var g = new Generator((ulong)seed);
        int f = cfg.DownsamplingFactor, h = 2 * f, w = f * (f == 1 ? 3 : 1);
        var x = randn([batch, cfg.InChannels, h, Math.Max(w, f)], generator: g);
        var c = randn([batch], generator: g);
        Tensor? labels = cfg.ClassCount > 0 ? randint(cfg.ClassCount, [batch], generator: g) : null;
        return (x, c, labels);
    }

    [TestCaseSource(nameof(Configs))]
    public void BuildsTheSameParametersInTheSameOrderWithTheSameInitialization(UNetConfig config)
    {
        manual_seed(123);
        using var legacy = new LegacyUNet(config);
        using var after1 = randn(8);
        manual_seed(123);
        using var net = new UNet(config);
        using var after2 = randn(8);
        AssertBitEqual(after1, after2, "the generator's state after construction (the same random draws)");

        var a = legacy.state_dict().ToArray();
        var b = net.state_dict().ToArray();
        Assert.That(b.Select(kv => kv.Key), Is.EqualTo(a.Select(kv => kv.Key)), "state_dict names in order");
        for (int i = 0; i < a.Length; i++)
            AssertBitEqual(a[i].Value, b[i].Value, a[i].Key);
        Assert.That(net.named_parameters().Select(p => p.name), Is.EqualTo(legacy.named_parameters().Select(p => p.name)), "parameter order (the optimizer's)");
        Assert.That(net.named_buffers().Select(p => p.name), Is.EqualTo(legacy.named_buffers().Select(p => p.name)));
        Assert.That(net.ParameterCount, Is.EqualTo(legacy.ParameterCount));
        // Inside a preconditioning wrapper (how models are saved) the names stay the same.
        using var wrapped = new EdmPrecond(net);
        Assert.That(wrapped.Net.state_dict().Keys, Is.EqualTo(a.Select(kv => kv.Key)));
        Assert.That(wrapped.state_dict().Keys, Is.EqualTo(a.Select(kv => "net." + kv.Key)).Or.EqualTo(a.Select(kv => "Net." + kv.Key)));
    }

    [TestCaseSource(nameof(Configs))]
    public void ComputesTheSameOutputsAndGradientsBitForBit(UNetConfig config)
    {
        manual_seed(8); // the Fourier frequencies are a random buffer
        using var legacy = new LegacyUNet(config);
        manual_seed(8);
        using var net = new UNet(config);
        Randomize(legacy, 7);
        Randomize(net, 7);
        var (x, c, labels) = Inputs(config, 11);
        using (x) using (c) using (labels)
        {
            legacy.eval();
            net.eval();
            using (no_grad())
            {
                using var ye = legacy.forward(x, c, labels);
                using var ya = net.forward(x, c, labels);
                AssertBitEqual(ye, ya, "eval output");
            }
            legacy.train();
            net.train();
            using var r = randn_like(x.narrow(1, 0, 1).expand(-1, config.OutChannels, -1, -1));
            manual_seed(5);
            using var yl = legacy.forward(x, c, labels);
            using var ll = (yl * r).sum();
            ll.backward();
            manual_seed(5);
            using var yn = net.forward(x, c, labels);
            using var ln = (yn * r).sum();
            ln.backward();
            AssertBitEqual(yl, yn, "training output (dropout draws included)");
            var pl = legacy.named_parameters().ToArray();
            var pn = net.named_parameters().ToArray();
            for (int i = 0; i < pl.Length; i++)
                AssertBitEqual(pl[i].parameter.grad!, pn[i].parameter.grad!, "gradient of " + pl[i].name);
        }
    }

    [TestCase(ConvolutionCompute.ChannelsLast)]
    [TestCase(ConvolutionCompute.Bfloat16)]
    [TestCase(ConvolutionCompute.Bfloat16ChannelsLast)]
    public void EveryConvolutionComputeGivesTheSameValuesAsBefore(ConvolutionCompute compute)
    {
        foreach (var config in new[] { UNetConfig.Tiny with { PixelUnshuffleStem = true, ClassCount = 3 }, UNetConfig.Tiny with { CircularPadding = false } })
        {
            using var legacy = new LegacyUNet(config) { Compute = compute };
            using var net = new UNet(config) { Compute = compute };
            Randomize(legacy, 3);
            Randomize(net, 3);
            var (x, c, labels) = Inputs(config, 4);
            using (x) using (c) using (labels)
            {
                using var yl = legacy.forward(x, c, labels);
                using var yn = net.forward(x, c, labels);
                AssertBitEqual(yl, yn, $"{compute} output");
                using var gl = yl.sum();
                gl.backward();
                using var gn = yn.sum();
                gn.backward();
                var pl = legacy.named_parameters().ToArray();
                var pn = net.named_parameters().ToArray();
                for (int i = 0; i < pl.Length; i++)
                    AssertBitEqual(pl[i].parameter.grad!, pn[i].parameter.grad!, $"{compute} gradient of {pl[i].name}");
            }
        }
    }

    [TestCase(NoiseEmbeddingKind.Positional)]
    [TestCase(NoiseEmbeddingKind.Fourier)]
    public void Bf16InferenceGivesTheSameValuesAsBefore(NoiseEmbeddingKind kind)
    {
        var config = UNetConfig.Tiny with { NoiseEmbedding = kind, ClassCount = 4 };
        manual_seed(9);
        using var legacy = new LegacyUNet(config);
        manual_seed(9);
        using var net = new UNet(config);
        Randomize(legacy, 9);
        Randomize(net, 9);
        legacy.eval();
        net.eval();
        legacy.to(ScalarType.BFloat16);
        net.to(ScalarType.BFloat16);
        Assert.That(net.named_buffers().Single().buffer.dtype, Is.EqualTo(ScalarType.Float32), "the frequencies stay float32");
        var (x, c, labels) = Inputs(config, 10);
        using (x) using (c) using (labels)
        using (no_grad())
        {
            using var yl = legacy.forward(x, c, labels);
            using var yn = net.forward(x, c, labels);
            Assert.That(yn.dtype, Is.EqualTo(ScalarType.BFloat16));
            AssertBitEqual(yl, yn, "bf16 output");
        }
    }

    [Test]
    public void TheDefaultModelLoadsAndComputesAsBefore()
    {
        string path = SafetensorsFileTests.DefaultModelPath();
        using var loaded = ModelFile.Load(path);
        using var legacy = new LegacyUNet(loaded.Metadata.Config);
        using (no_grad())
            foreach (var (name, t) in legacy.state_dict())
                t.copy_(loaded.Net.state_dict()[name]);
        legacy.eval();
        var (x, c, labels) = Inputs(loaded.Metadata.Config, 21, batch: 3);
        using (x) using (c) using (labels)
        using (no_grad())
        {
            using var yl = legacy.forward(x, c, labels);
            using var yn = loaded.Net.forward(x, c, labels);
            AssertBitEqual(yl, yn, "default model output");
        }
    }

    // ---- op by op ---------------------------------------------------------------------------------------

    private static IEnumerable<TestCaseData> AgreementConfigs()
    {
        yield return new TestCaseData(UNetConfig.Tiny).SetName("Agreement_Tiny");
        yield return new TestCaseData(UNetConfig.Small).SetName("Agreement_Small");
        yield return new TestCaseData(UNetConfig.Base).SetName("Agreement_Base");
        yield return new TestCaseData(ModelFile.ReadMetadata(SafetensorsFileTests.DefaultModelPath()).Config).SetName("Agreement_DefaultModel");
        yield return new TestCaseData(UNetConfig.Tiny with { Dropout = 0.1, ClassCount = 3, NoiseEmbedding = NoiseEmbeddingKind.Fourier }).SetName("Agreement_TinyDropoutFourierClasses");
    }

    [TestCaseSource(nameof(AgreementConfigs))]
    public void TheModuleTheTorchScriptSourceAndTheDescriptionAgreeOpByOp(UNetConfig config)
    {
        var description = NetworkDescription.FromConfig(config);
        using var net = RandomNet(config, 2);
        // The module's steps: kinds and the weights of the layers it calls, from its registered parameters.
        Assert.That(description.Disagreements(net.Steps, "UNet", inference: false), Is.Empty);
        var state = net.state_dict();
        foreach (var (step, op) in net.Steps.Zip(description.Ops))
            for (int k = 0; k < op.Parameters.Length; k++)
                Assert.That(state[step.Weights[k]].shape, Is.EqualTo(op.Parameters[k].Shape), $"{op}: {step.Weights[k]}");

        // What forward executes: every op once, in order, with the description's output shapes.
        var executed = new List<(int index, long[] shape)>();
        net.Trace = (i, t) => executed.Add((i, t.shape));
        int f = config.DownsamplingFactor;
        using var x = randn(2, config.InChannels, 2 * f, 3 * f);
        using var c = randn(2);
        using var labels = config.ClassCount > 0 ? randint(config.ClassCount, [2]) : null;
        using (no_grad())
        using (var y = net.forward(x, c, labels))
            Assert.That(y.shape, Is.EqualTo(new long[] { 2, config.OutChannels, 2 * f, 3 * f }));
        net.Trace = null;
        Assert.That(executed.Select(e => e.index), Is.EqualTo(Enumerable.Range(0, description.Ops.Count)));
        var shapes = description.OutputShapes(2, 2 * f, 3 * f);
        for (int i = 0; i < shapes.Count; i++)
            Assert.That(executed[i].shape, Is.EqualTo(shapes[i]), description.Ops[i].ToString());

        // The TorchScript source: one statement per op except the inference identities, the same kinds and weights.
        using var model = new EdmPrecond(net);
        using var compiled = new TorchScriptDenoiser(model);
        Assert.That(description.Disagreements(compiled.Steps, "TorchScript", inference: true), Is.Empty);
        var lines = compiled.Source.Split('\n').Select(l => l.Trim()).ToArray();
        foreach (var step in compiled.Steps)
            Assert.That(lines.Count(l => l.StartsWith($"v{step.OpIndex} = ", StringComparison.Ordinal)), Is.EqualTo(1), step.ToString());
        Assert.That(compiled.Steps.Count, Is.EqualTo(description.Ops.Count(o => !NetworkDescription.IsInferenceIdentity(o))));
    }

    [Test]
    public void DisagreementsAreFound()
    {
        var description = NetworkDescription.FromConfig(UNetConfig.Tiny);
        using var net = new UNet(UNetConfig.Tiny);
        var steps = net.Steps.ToList();
        Assert.That(description.Disagreements(steps, "UNet", false), Is.Empty);
        var swapped = steps.ToList();
        (swapped[3], swapped[4]) = (swapped[4], swapped[3]);
        Assert.That(description.Disagreements(swapped, "X", false).Single(), Does.Contain("X: step 3 executes op 4, expected op 3"));
        var wrongKind = steps.ToList();
        wrongKind[2] = wrongKind[2] with { Kind = LayerOpKind.Add };
        Assert.That(description.Disagreements(wrongKind, "X", false).Single(), Does.Contain("op 2 is Silu but the backend executes Add"));
        int conv = steps.FindIndex(s => s.Kind == LayerOpKind.Conv2d);
        var wrongWeights = steps.ToList();
        wrongWeights[conv] = wrongWeights[conv] with { Weights = [.. wrongWeights[conv].Weights.Reverse()] };
        Assert.That(description.Disagreements(wrongWeights, "X", false).Single(), Does.Contain($"op {conv} (Conv2d) reads [conv_in.bias, conv_in.weight]"));
        Assert.That(description.Disagreements(steps.Take(steps.Count - 1), "X", false).Single(), Does.Contain("no step for op"));
        Assert.That(description.Disagreements(steps.Append(steps[0]), "X", false).Single(), Does.Contain("beyond the description"));
        // A backend that reorders (a GL plan: embedding first, fused dispatches) is checked without the order, but each
        // op exactly once.
        Assert.That(description.Disagreements(swapped, "X", false, ordered: false), Is.Empty);
        Assert.That(description.Disagreements(swapped.Append(steps[5]), "X", false, ordered: false).Single(), Does.Contain("step 6 executes op 5, expected op 6"));
    }

    [Test]
    public void DropoutIsAnOpOnlyWhenTheConfigurationHasDropout()
    {
        Assert.That(NetworkDescription.FromConfig(UNetConfig.Small).Ops.Any(o => o.Kind == LayerOpKind.Dropout), Is.False);
        var ops = NetworkDescription.FromConfig(UNetConfig.Small with { Dropout = 0.1 }).Ops;
        var dropouts = ops.Where(o => o.Kind == LayerOpKind.Dropout).ToArray();
        Assert.That(dropouts, Has.Length.EqualTo(ops.Count(o => o.Kind == LayerOpKind.Conv2d && o.Module.EndsWith(".conv1", StringComparison.Ordinal))));
        Assert.That(dropouts.All(d => d.Rate == 0.1 && NetworkDescription.IsInferenceIdentity(d)));
        // Each sits right before a conv1, reading the block's SiLU.
        foreach (var d in dropouts)
            Assert.That(ops.Single(o => o.Inputs.Contains(d.Output)).Module, Does.EndWith(".conv1"));
    }
}
