using System.Runtime.InteropServices;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Networks.Description;
using ConsistencyModels.Platform;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;
using TorchSharp;
using static TorchSharp.torch;
using ScalarType = TorchSharp.torch.ScalarType;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>
/// Every shader of the GL compute backend against TorchSharp, op by op: the network runs once on the GPU on a random
/// input with every value kept; then each op of the <see cref="NetworkDescription"/> is computed with TorchSharp's
/// functional ops from the GPU's own values of its inputs (so an error cannot hide behind an earlier one) and compared
/// with the GPU's value of its output wherever the plan materializes one (fused chains such as GroupNorm → Modulate →
/// SiLU are compared at their end). Random weights, sizes with borders in every direction (non-square, widths not a
/// multiple of 4), circular and zero padding, odd channel counts, attention.
/// </summary>
public class GlComputeOpTests : HeadlessGlFixture
{
    private const double Tolerance = 2e-5; // relative to the value range of the op's output

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData(UNetConfig.Tiny with { ClassCount = 3 }, 14, 6).SetName("Tiny, circular, attention, 14×6");
        yield return new TestCaseData(new UNetConfig
        {
            BaseChannels = 6, ChannelMultipliers = [1, 3], ResBlocksPerLevel = 1, AttentionLevels = [0, 1], PixelUnshuffleStem = false,
            CircularPadding = false, NoiseEmbedding = NoiseEmbeddingKind.Fourier,
        }, 10, 6).SetName("Odd channels, zero padding, attention at both levels, 10×6");
        yield return new TestCaseData(UNetConfig.Small with { ClassCount = 3 }, 24, 16).SetName("Small with stem, 24×16");
        // 4 channels × 3072 pixels per group: three GroupNorm statistics chunks of 4096, the last one partial.
        yield return new TestCaseData(UNetConfig.Tiny with { ClassCount = 3, AttentionLevels = [] }, 64, 48).SetName("Tiny, 64×48 (several GroupNorm chunks)");
    }

    [TestCaseSource(nameof(Cases))]
    public void EveryOpMatchesTorchSharp(UNetConfig config, int width, int height)
    {
        var path = TestModels.Save(directory, TestModels.Metadata(config: config), seed: 3);
        using var model = ModelFile.Load(path, CPU);
        using var glPath = GlComputeSupport.Generator(gl, model);
        var description = NetworkDescription.FromConfig(config);
        var state = model.Model.Net.state_dict();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(11, CPU);
        var x = randn([1, 3, height, width], generator: generator);
        int cls = config.ClassCount > 0 ? 1 : 0;
        var gpu = glPath.EvaluateNetwork(MemoryMarshal.Cast<byte, float>(x.bytes), width, height, cls);
        GlComputeSupport.AssertNoGlError(gl, "evaluation");

        double sigma = glPath.Plan(1).Sigmas[0];
        var reference = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            [NetworkDescription.InputX] = x,
            [NetworkDescription.InputNoise] = tensor(new[] { (float)(0.25 * Math.Log(sigma)) }),
            [NetworkDescription.InputLabels] = tensor(new long[] { cls }),
        };
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal) { [NetworkDescription.InputX] = x.shape };
        var checkedKinds = new HashSet<LayerOpKind>();
        int compared = 0;
        foreach (var op in description.Ops)
        {
            Tensor In(int i)
            {
                string name = op.Inputs[i];
                if (gpu.TryGetValue(name, out var values)) return tensor(values).reshape(shapes[name]);
                return reference[name];
            }
            Tensor P(int i) => state[op.Parameters[i].Name];
            var y = Run(op, In, P);
            reference[op.Output] = y;
            shapes[op.Output] = y.shape;
            if (!gpu.TryGetValue(op.Output, out var actual)) continue;
            var expected = y.contiguous().data<float>().ToArray();
            double range = Math.Max(1.0, expected.Max(Math.Abs));
            double worst = GlComputeSupport.MaxAbsDifference(expected, actual);
            Assert.That(worst / range, Is.LessThanOrEqualTo(Tolerance), $"{op}: max |GPU − TorchSharp| = {worst} (range {range}); worst at {WorstIndex(expected, actual)} of {string.Join("×", y.shape)}");
            checkedKinds.Add(op.Kind);
            compared++;
        }
        Assert.That(compared, Is.GreaterThan(10), "values compared");
        var expectedKinds = new List<LayerOpKind> { LayerOpKind.Conv2d, LayerOpKind.Silu, LayerOpKind.Add, LayerOpKind.Attention };
        Assert.That(checkedKinds, Is.SupersetOf(expectedKinds.Where(k => description.Ops.Any(o => o.Kind == k))));
    }

    private static IEnumerable<TestCaseData> Plans()
    {
        yield return new TestCaseData(UNetConfig.Tiny with { ClassCount = 3 }).SetName("Plan agrees: tiny with attention");
        yield return new TestCaseData(UNetConfig.Small with { ClassCount = 3 }).SetName("Plan agrees: small (default shape)");
        yield return new TestCaseData(UNetConfig.Base with { ClassCount = 3 }).SetName("Plan agrees: base");
        yield return new TestCaseData(UNetConfig.Tiny with { Dropout = 0.2 }).SetName("Plan agrees: tiny with dropout, unconditional");
    }

    /// <summary>The third backend of the op-by-op agreement (beside UNet.Steps and TorchScriptDenoiser.Steps): the GL plan
    /// executes every op of the description exactly once (CPU embedding ops first, fused ones at their dispatch, so
    /// unordered), with its kind and exactly the weights the op names, read in its order.</summary>
    [TestCaseSource(nameof(Plans))]
    public void DispatchPlanExecutesEveryOpOnceWithItsWeights(UNetConfig config)
    {
        var metadata = TestModels.Metadata(config: config);
        var path = TestModels.Save(directory, metadata with { ClassNames = config.ClassCount == 3 ? TestModels.ClassNames : [] }, seed: 2);
        using var model = ModelFile.Load(path, CPU);
        using var glPath = GlComputeSupport.Generator(gl, model);
        var description = NetworkDescription.FromConfig(config);
        var steps = glPath.PlanSteps;
        Assert.That(description.Disagreements(steps, "GL plan", inference: true, ordered: false), Is.Empty);
        Assert.That(steps.Select(s => s.OpIndex), Is.Unique);
        // Not vacuous: a plan that skipped an op, or read a weight twice, is reported.
        Assert.That(description.Disagreements(steps.Skip(1), "GL plan", inference: true, ordered: false), Is.Not.Empty);
        var conv = steps.First(s => s.Kind == LayerOpKind.Conv2d);
        var doubled = steps.Select(s => s == conv ? s with { Weights = [.. s.Weights, s.Weights[0]] } : s);
        Assert.That(description.Disagreements(doubled, "GL plan", inference: true, ordered: false), Is.Not.Empty);
    }

    private static string WorstIndex(float[] a, float[] b)
    {
        int at = 0;
        for (int i = 0; i < a.Length; i++) if (Math.Abs(a[i] - b[i]) > Math.Abs(a[at] - b[at])) at = i;
        return $"{at} (GPU {b[at]}, TorchSharp {a[at]})";
    }

    // One op with TorchSharp's functional ops (the reference semantics of LayerOpKind).
    private static Tensor Run(LayerOp op, Func<int, Tensor> input, Func<int, Tensor> parameter)
    {
        switch (op.Kind)
        {
            case LayerOpKind.NoiseEmbedding:
            {
                var a = outer(input(0).Times(op.Scale), parameter(0));
                return cat([a.cos(), a.sin()], 1);
            }
            case LayerOpKind.Linear: return nn.functional.linear(input(0), parameter(0), parameter(1));
            case LayerOpKind.Embedding: return parameter(0).index_select(0, input(0));
            case LayerOpKind.Silu: return nn.functional.silu(input(0));
            case LayerOpKind.Add: return input(0).Plus(input(1));
            case LayerOpKind.Conv2d:
            {
                var x = input(0);
                if (op.Kernel == 3 && op.Circular)
                    return nn.functional.conv2d(nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Circular), parameter(0), parameter(1));
                return nn.functional.conv2d(x, parameter(0), parameter(1), padding: [op.Kernel / 2, op.Kernel / 2]);
            }
            case LayerOpKind.GroupNorm: return nn.functional.group_norm(input(0), op.Groups, parameter(0), parameter(1), op.Epsilon);
            case LayerOpKind.Modulate:
            {
                var chunks = input(1).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
                return input(0).mul(chunks[0].Plus(1)).Plus(chunks[1]);
            }
            case LayerOpKind.AvgPool2: return nn.functional.avg_pool2d(input(0), 2);
            case LayerOpKind.UpsampleNearest2: return nn.functional.interpolate(input(0), scale_factor: [2, 2], mode: InterpolationMode.Nearest);
            case LayerOpKind.Concat: return cat([input(0), input(1)], 1);
            case LayerOpKind.PixelUnshuffle2: return nn.functional.pixel_unshuffle(input(0), 2);
            case LayerOpKind.PixelShuffle2: return nn.functional.pixel_shuffle(input(0), 2);
            case LayerOpKind.Attention:
            {
                var x = input(0);
                long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], d = c / op.Heads;
                var n = nn.functional.group_norm(x, op.Groups, parameter(0), parameter(1), op.Epsilon);
                var t = nn.functional.conv2d(n, parameter(2), parameter(3)).reshape(b, 3, op.Heads, d, h * w).permute(1, 0, 2, 4, 3);
                var a = nn.functional.scaled_dot_product_attention(t[0], t[1], t[2]);
                var y = a.permute(0, 1, 3, 2).reshape(b, c, h, w);
                return x.Plus(nn.functional.conv2d(y, parameter(4), parameter(5)));
            }
            default: throw new NotSupportedException(op.Kind.ToString());
        }
    }
}
