using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.Tests.Options;

public class CliNamesTests
{
    [Test]
    public void TokensRoundTripAndMatchTheIssue()
    {
        Assert.That(CliNames.All<DistillMethod>(), Is.EqualTo(new[] { "cd", "ct", "ict", "direct-cd", "progressive", "rectified" }));
        Assert.That(CliNames.All<DistanceKind>(), Is.EqualTo(new[] { "l2", "l1", "pseudo-huber" }));
        Assert.That(CliNames.All<SamplerKind>(), Is.EqualTo(new[] { "heun", "euler", "stochastic", "dpm++2m", "consistency" }));
        Assert.That(CliNames.All<WeightingKind>().Take(5), Is.EqualTo(new[] { "uniform", "snr", "snr+1", "karras", "truncated-snr" }));
        foreach (var weighting in Enum.GetValues<WeightingKind>())
        {
            Assert.That(CliNames.TryParse<WeightingKind>(CliNames.Of(weighting), out var back));
            Assert.That(back, Is.EqualTo(weighting));
        }
        Assert.That(CliNames.TryParse<DistillMethod>("cm", out _), Is.False);
        Assert.That(CliNames.Alternatives<DistanceKind>(), Is.EqualTo("l2, l1 or pseudo-huber"));
    }

    [Test]
    public void NetworkLimitsNameTheExpectedMultiple()
    {
        Assert.DoesNotThrow(() => NetworkLimits.CheckSize("--crop", 32, NetworkPreset.Small));
        Assert.DoesNotThrow(() => NetworkLimits.CheckSize("--crop", 12, NetworkPreset.Tiny));
        var error = Assert.Throws<CmException>(() => NetworkLimits.CheckSize("--size", 4, NetworkPreset.Base))!;
        Assert.That(error.Message, Does.StartWith("--size 4 does not fit the base network: expected a positive multiple of 8"));
    }
}
