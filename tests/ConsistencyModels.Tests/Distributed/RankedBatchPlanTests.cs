using ConsistencyModels.Distributed;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Distributed;

public sealed class RankedBatchPlanTests
{
    [Test]
    public void RankSeed_IsSeedTimesPrimePlusRank()
    {
        Assert.That(RankedBatchPlan.ComputeRankSeed(5, 1), Is.EqualTo(5_000_016L));
        Assert.That(new RankedBatchPlan(5, 3, 4, 8).RankSeed, Is.EqualTo(5_000_018L));
    }

    [Test]
    public void SplitMix64_MatchesTheReferenceFirstOutput()
    {
        // First output of Vigna's splitmix64.c with state 0.
        Assert.That(RankedBatchPlan.SplitMix64(0), Is.EqualTo(0xE220A8397B1DCDAFUL));
    }

    [Test]
    public void StepSeeds_AreDeterministic_AndDistinctAcrossRanksAndSteps()
    {
        var plans = RankedBatchPlan.ForAllRanks(42, 4, 2);
        var seeds = plans.SelectMany(p => Enumerable.Range(0, 50).Select(s => p.StepSeed(s))).ToList();
        Assert.That(seeds.Distinct().Count(), Is.EqualTo(seeds.Count));
        Assert.That(new RankedBatchPlan(42, 2, 4, 2).StepSeed(7), Is.EqualTo(plans[2].StepSeed(7)));
    }

    [Test]
    public void Generators_OfDifferentRanks_DrawDifferentSamples_AndRepeatPerStep()
    {
        var plans = RankedBatchPlan.ForAllRanks(1, 2, 3);
        using var g0 = plans[0].CreateGenerator(5);
        using var g0Again = plans[0].CreateGenerator(5);
        using var g1 = plans[1].CreateGenerator(5);
        using var a = randn(new long[] { 3 }, generator: g0);
        using var b = randn(new long[] { 3 }, generator: g0Again);
        using var c = randn(new long[] { 3 }, generator: g1);
        Assert.That(a.data<float>().ToArray(), Is.EqualTo(b.data<float>().ToArray()));
        Assert.That(a.data<float>().ToArray(), Is.Not.EqualTo(c.data<float>().ToArray()));
    }

    [Test]
    public void GlobalBatch_IsSplitEvenly_OrRejected()
    {
        var plan = RankedBatchPlan.FromGlobalBatch(0, 1, 4, 32);
        Assert.That(plan.PerRankBatch, Is.EqualTo(8));
        Assert.That(plan.GlobalBatch, Is.EqualTo(32));
        var ex = Assert.Throws<ArgumentException>(() => RankedBatchPlan.FromGlobalBatch(0, 0, 3, 32));
        Assert.That(ex!.Message, Does.Contain("divisible"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankedBatchPlan(0, 2, 2, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RankedBatchPlan(0, -1, 2, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.StepSeed(-1));
    }
}
