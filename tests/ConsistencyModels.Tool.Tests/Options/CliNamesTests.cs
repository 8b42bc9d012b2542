using ConsistencyModels.IO;
using ConsistencyModels.Tool.Distill;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Naming;
using ConsistencyModels.Sampling;
using ConsistencyModels.Losses;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Tests.Options;

public class CliNamesTests
{
    [Test]
    public void TokensRoundTripAndMatchTheIssue()
    {
        Assert.That(DistillMethods.All.Select(m => m.Name), Is.EqualTo(new[] { "cd", "ct", "ict", "direct-cd", "progressive", "rectified" }));
        Assert.That(EnumNames.All<TrainingMethod>(), Is.EqualTo(new[] { "unknown", "teacher", "cd", "ct", "ict", "direct-cd", "progressive", "rectified" }));
        Assert.That(EnumNames.All<DistanceMetricKind>(), Is.EqualTo(new[] { "l2", "l1", "pseudo-huber" }));
        Assert.That(EnumNames.All<SamplerKind>(), Is.EqualTo(new[] { "heun", "euler", "stochastic", "dpm++2m", "consistency" }));
        Assert.That(EnumNames.All<LossWeightingKind>(), Is.EqualTo(new[] { "uniform", "snr", "snr+1", "karras", "truncated-snr", "inverse-step" }));
        foreach (var weighting in Enum.GetValues<LossWeightingKind>())
        {
            Assert.That(EnumNames.TryParse<LossWeightingKind>(EnumNames.Of(weighting), out var back));
            Assert.That(back, Is.EqualTo(weighting));
        }
        Assert.That(EnumNames.TryParse<TrainingMethod>("cm", out _), Is.False);
        Assert.That(EnumNames.Alternatives<DistanceMetricKind>(), Is.EqualTo("l2, l1 or pseudo-huber"));
    }

    [Test]
    public void EveryDistillMethodHasOneRecordAndOnlyDistillMethodsDo()
    {
        var methods = Enum.GetValues<TrainingMethod>().Where(m => m is not (TrainingMethod.Unknown or TrainingMethod.Teacher));
        Assert.That(DistillMethods.All.Select(m => m.Method), Is.EquivalentTo(methods));
        Assert.Throws<ArgumentOutOfRangeException>(() => DistillMethods.Of(TrainingMethod.Teacher));
        foreach (var m in DistillMethods.All)
        {
            Assert.That(m.Weightings, Does.Contain(m.Weighting), $"{m.Name}: its default weighting must apply");
            Assert.That(m.NStart is not null, Is.EqualTo(m.Takes(MethodOption.NStart)), $"{m.Name}: --n-start default iff it applies");
            Assert.That(m.Ema is not null, Is.EqualTo(m.Takes(MethodOption.Ema)), $"{m.Name}: --ema default iff it applies");
            Assert.That(m.Pairs is not null, Is.EqualTo(m.Takes(MethodOption.Pairs)), $"{m.Name}: --pairs default iff it applies");
            Assert.That(m.Form is not null, Is.EqualTo(m.Takes(MethodOption.Form)), $"{m.Name}: --form default iff it applies");
            Assert.That(m.Config is not null, Is.EqualTo(m.Takes(MethodOption.Config)), $"{m.Name}: --config default iff it applies");
            Assert.That(m.Config is not null || m.NeedsTeacher, $"{m.Name}: without a teacher it needs a network preset");
            Assert.That(m.Crop is not null || m.NeedsTeacher, $"{m.Name}: without a teacher it needs a crop");
            Assert.That(m.Result == ModelKind.Consistency, Is.EqualTo(m.Sampling == SamplingKind.Consistency), $"{m.Name}: result and sampling agree");
        }
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
