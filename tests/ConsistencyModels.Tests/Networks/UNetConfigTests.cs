using System.Text.Json;
using ConsistencyModels.Networks;

namespace ConsistencyModels.Tests.Networks;

public class UNetConfigTests
{
    [Test]
    public void PresetsAreValid()
    {
        UNetConfig.Tiny.Validate();
        UNetConfig.Small.Validate();
        UNetConfig.Base.Validate();
        Assert.That(UNetConfig.Small.BaseChannels, Is.EqualTo(32));
        Assert.That(UNetConfig.Small.PixelUnshuffleStem, Is.True);
        Assert.That(UNetConfig.Small.ChannelMultipliers, Is.EqualTo(new[] { 1, 2, 4 }));
    }

    [Test]
    public void JsonRoundTripKeepsEverySetting()
    {
        var config = UNetConfig.Base with { ClassCount = 8, Dropout = 0.1, NoiseEmbedding = NoiseEmbeddingKind.Fourier, EmbeddingChannels = 96, CircularPadding = false };
        string json = JsonSerializer.Serialize(config);
        Assert.That(json, Does.Contain("\"fourier\""));
        Assert.That(json, Does.Not.Contain("DownsamplingFactor"));
        var back = JsonSerializer.Deserialize<UNetConfig>(json)!;
        Assert.That(back, Is.EqualTo(config));
        Assert.That(back, Is.Not.EqualTo(config with { AttentionLevels = [] }));
    }

    [Test]
    public void EqualityComparesArrayContents()
    {
        Assert.That(UNetConfig.Small with { ChannelMultipliers = [1, 2, 4] }, Is.EqualTo(UNetConfig.Small));
        Assert.That(UNetConfig.Small.GetHashCode(), Is.EqualTo((UNetConfig.Small with { ChannelMultipliers = [1, 2, 4] }).GetHashCode()));
        Assert.That(UNetConfig.Small with { ChannelMultipliers = [1, 2, 2] }, Is.Not.EqualTo(UNetConfig.Small));
    }

    [TestCase("BaseChannels")]
    [TestCase("ChannelMultipliers")]
    [TestCase("ResBlocksPerLevel")]
    [TestCase("AttentionLevels")]
    [TestCase("ClassCount")]
    [TestCase("Dropout")]
    public void ValidateNamesTheBadSetting(string setting)
    {
        var bad = setting switch
        {
            "BaseChannels" => UNetConfig.Tiny with { BaseChannels = 3 },
            "ChannelMultipliers" => UNetConfig.Tiny with { ChannelMultipliers = [] },
            "ResBlocksPerLevel" => UNetConfig.Tiny with { ResBlocksPerLevel = 0 },
            "AttentionLevels" => UNetConfig.Tiny with { AttentionLevels = [2] },
            "ClassCount" => UNetConfig.Tiny with { ClassCount = -1 },
            _ => UNetConfig.Tiny with { Dropout = 1.0 },
        };
        var ex = Assert.Throws<ArgumentException>(bad.Validate);
        Assert.That(ex!.Message, Does.Contain(setting));
        Assert.Throws<ArgumentException>(() => new UNet(bad).Dispose());
    }
}
