using ConsistencyModels.Inference;
using ConsistencyModels.Networks;
using ConsistencyModels.Networks.Description;
using ConsistencyModels.Preconditioning;

namespace ConsistencyModels.Tests.Networks;

/// <summary>
/// The layer description (what the ONNX exporter walks) agrees with the TorchSharp <see cref="UNet"/> op by op: the
/// same parameters and buffers, with the same names and shapes, in the same order.
/// </summary>
[TestFixture]
public sealed class NetworkDescriptionTests
{
    private static IEnumerable<TestCaseData> Configs()
    {
        yield return new TestCaseData(UNetConfig.Tiny).SetName("Tiny (attention at level 1)");
        yield return new TestCaseData(UNetConfig.Tiny with { ClassCount = 5 }).SetName("Tiny, class-conditional");
        yield return new TestCaseData(UNetConfig.Small with { ClassCount = 30 }).SetName("Small (the default model's), 30 classes");
        yield return new TestCaseData(UNetConfig.Base).SetName("Base (attention at the lowest level)");
        yield return new TestCaseData(new UNetConfig
        {
            BaseChannels = 12, ChannelMultipliers = [1, 3, 2], ResBlocksPerLevel = 2, AttentionLevels = [0, 2], PixelUnshuffleStem = false,
            CircularPadding = false, NoiseEmbedding = NoiseEmbeddingKind.Fourier, EmbeddingChannels = 20, InChannels = 1, OutChannels = 2,
        }).SetName("Odd widths, attention at levels 0 and 2, fourier, zero padding, 1 → 2 channels");
    }

    [TestCaseSource(nameof(Configs))]
    public void ParametersAgreeWithTheTorchSharpUNet(UNetConfig config)
    {
        var description = NetworkDescription.FromConfig(config);
        using var net = new UNet(config);
        var expectedParameters = net.named_parameters().Select(p => $"{p.name} [{string.Join(", ", p.parameter.shape)}]").ToArray();
        var expectedBuffers = net.named_buffers().Select(b => $"{b.name} [{string.Join(", ", b.buffer.shape)}]").ToArray();
        var parameters = description.Parameters.Where(p => !p.IsBuffer).Select(p => p.ToString()).ToArray();
        var buffers = description.Parameters.Where(p => p.IsBuffer).Select(p => p.ToString()).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(parameters, Is.EqualTo(expectedParameters), "parameters in op order");
            Assert.That(buffers, Is.EqualTo(expectedBuffers), "buffers");
            Assert.That(description.Parameters.Where(p => !p.IsBuffer).Sum(p => p.ElementCount), Is.EqualTo(net.ParameterCount));
        });
    }

    [TestCaseSource(nameof(Configs))]
    public void EveryValueIsDefinedBeforeUseAndChannelsChain(UNetConfig config)
    {
        var description = NetworkDescription.FromConfig(config);
        var channels = new Dictionary<string, int>
        {
            [NetworkDescription.InputX] = config.InChannels,
            [NetworkDescription.InputNoise] = 0,
            [NetworkDescription.InputLabels] = 0,
        };
        foreach (var op in description.Ops)
        {
            foreach (var input in op.Inputs)
                Assert.That(channels.ContainsKey(input), $"{op}: input {input} is not defined before");
            if (op.Kind == LayerOpKind.Conv2d)
                Assert.That(op.Parameters[0].Shape[1], Is.EqualTo(channels[op.Inputs[0]]), $"{op}: input channels");
            if (op.Kind == LayerOpKind.Concat)
                Assert.That(op.Channels, Is.EqualTo(op.Inputs.Sum(i => channels[i])), $"{op}: concatenated channels");
            Assert.That(channels.TryAdd(op.Output, op.Channels), $"{op}: output {op.Output} defined twice");
        }
        Assert.That(channels[description.Output], Is.EqualTo(config.OutChannels));
    }

    [TestCaseSource(nameof(Configs))]
    public void TorchScriptSourceIsDerivedOpByOp(UNetConfig config)
    {
        // One line per op, in the description's order, with the op's kind (the compiled forward's equality with the
        // module is TorchScriptDenoiserTests' business).
        var description = NetworkDescription.FromConfig(config);
        using var model = new EdmPrecond(new UNet(config));
        using var compiled = new TorchScriptDenoiser(model);
        var lines = compiled.Source.Split('\n').Select(l => l.Trim()).ToArray();
        int at = 0;
        foreach (var op in description.Ops)
        {
            int found = Array.FindIndex(lines, at, l => l.StartsWith($"{op.Output} = ", StringComparison.Ordinal));
            Assert.That(found, Is.GreaterThanOrEqualTo(0), $"no line for {op}");
            string keyword = op.Kind switch
            {
                LayerOpKind.Conv2d => op.Kernel == 3 ? (op.Circular ? "conv3c(" : "conv3z(") : "torch.conv2d(",
                LayerOpKind.GroupNorm => $"torch.group_norm({(op.Inputs[0].StartsWith('v') ? op.Inputs[0] : "")}",
                LayerOpKind.Attention => $"attention({op.Inputs[0]}, {op.Heads}, {op.Groups},",
                LayerOpKind.Linear => "torch.linear(",
                LayerOpKind.Silu => "torch.silu(",
                LayerOpKind.Modulate => "modulate(",
                LayerOpKind.Concat => "torch.cat([",
                _ => "",
            };
            Assert.That(lines[found], Does.Contain(keyword), op.ToString());
            at = found + 1;
        }
    }

    [Test]
    public void CircularPaddingOnlyOnThreeByThreeConvolutions()
    {
        var ops = NetworkDescription.FromConfig(UNetConfig.Small).Ops.Where(o => o.Kind == LayerOpKind.Conv2d).ToArray();
        Assert.That(ops.Where(o => o.Kernel == 3).All(o => o.Circular));
        Assert.That(ops.Where(o => o.Kernel == 1).All(o => !o.Circular));
        Assert.That(NetworkDescription.FromConfig(UNetConfig.Small with { CircularPadding = false }).Ops.Any(o => o.Circular), Is.False);
    }
}
