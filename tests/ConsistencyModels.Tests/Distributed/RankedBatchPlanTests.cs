using ConsistencyModels.Distributed;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Distributed;

public sealed class RankedBatchPlanTests
{
    [Test]
    public void ShardSeed_IsSeedTimesPrimePlusShard()
    {
        Assert.That(RankedBatchPlan.ComputeShardSeed(5, 1), Is.EqualTo(5_000_016L));
        Assert.That(RankedBatchPlan.ComputeShardSeed(-1, 0), Is.EqualTo(-1_000_003L));
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
        var plan = new RankedBatchPlan(42, 0, 1, 8, shardCount: 4);
        var seeds = Enumerable.Range(0, 4).SelectMany(sh => Enumerable.Range(0, 50).Select(s => plan.StepSeed(sh, s))).ToList();
        Assert.That(seeds.Distinct().Count(), Is.EqualTo(seeds.Count));
        // Shard 2's stream is the same whichever rank owns it and whatever K is.
        Assert.That(new RankedBatchPlan(42, 1, 2, 4, shardCount: 4).StepSeed(2, 7), Is.EqualTo(plan.StepSeed(2, 7)));
        Assert.That(new RankedBatchPlan(42, 2, 4, 2).StepSeed(2, 7), Is.EqualTo(plan.StepSeed(2, 7)));
    }

    [Test]
    public void Generators_OfDifferentRanks_DrawDifferentSamples_AndRepeatPerStep()
    {
        var plan = RankedBatchPlan.ForSingleProcess(1, 2, 3);
        using var g0 = plan.CreateGenerator(0, 5);
        using var g0Again = plan.CreateGenerator(0, 5);
        using var g1 = plan.CreateGenerator(1, 5);
        using var a = randn(new long[] { 3 }, generator: g0);
        using var b = randn(new long[] { 3 }, generator: g0Again);
        using var c = randn(new long[] { 3 }, generator: g1);
        Assert.That(a.data<float>().ToArray(), Is.EqualTo(b.data<float>().ToArray()));
        Assert.That(a.data<float>().ToArray(), Is.Not.EqualTo(c.data<float>().ToArray()));
    }

    [Test]
    public void Shards_AreContiguousPerRank_AndCoverTheGlobalBatchInOrder()
    {
        var ranks = Enumerable.Range(0, 3).Select(r => new RankedBatchPlan(9, r, 3, 4, shardCount: 6)).ToList();
        Assert.That(ranks.SelectMany(p => p.Shards), Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5 }));
        Assert.That(ranks[1].Shards, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(ranks[1].ShardBatch, Is.EqualTo(2));
        var single = RankedBatchPlan.ForSingleProcess(9, 3, 4, 6);
        Assert.That((single.PerRankBatch, single.ShardBatch, single.Shards.Count), Is.EqualTo((12, 2, 6)));
        Assert.That(new RankedBatchPlan(9, 1, 2, 5).Shards, Is.EqualTo(new[] { 1 }), "default: one shard per rank");
        Assert.Throws<ArgumentException>(() => new RankedBatchPlan(9, 0, 2, 4, shardCount: 3), "S must be a multiple of K");
        Assert.Throws<ArgumentException>(() => new RankedBatchPlan(9, 0, 2, 3, shardCount: 4), "B must split into the rank's shards");
        Assert.Throws<ArgumentOutOfRangeException>(() => single.StepSeed(6, 0));
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
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.StepSeed(0, -1));
    }
}
