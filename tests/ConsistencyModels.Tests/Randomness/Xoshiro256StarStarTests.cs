using ConsistencyModels.Randomness;
using ConsistencyModels.Data;

namespace ConsistencyModels.Tests.Randomness;

public class Xoshiro256StarStarTests
{
    [Test]
    public void MatchesAnIndependentReferenceImplementation()
    {
        // Reference values from a separate Python implementation of SplitMix64 seeding + xoshiro256** (seed 12345).
        var rng = new Xoshiro256StarStar(12345);
        Assert.That(rng.NextUInt64(), Is.EqualTo(0xbe6a36374160d49bUL));
        Assert.That(rng.NextUInt64(), Is.EqualTo(0x214aaa0637a688c6UL));
        Assert.That(rng.NextUInt64(), Is.EqualTo(0xf69d16de9954d388UL));
    }

    [Test]
    public void StateRoundTripContinuesTheStream()
    {
        var a = new Xoshiro256StarStar(9);
        a.NextUInt64();
        var b = new Xoshiro256StarStar(a.State);
        for (int i = 0; i < 5; i++)
            Assert.That(b.NextUInt64(), Is.EqualTo(a.NextUInt64()));
        Assert.Throws<ArgumentException>(() => new Xoshiro256StarStar(new ulong[4]));
    }

    [Test]
    public void NextIntIsInRangeAndCoversIt()
    {
        var rng = new Xoshiro256StarStar(1);
        var seen = new int[7];
        for (int i = 0; i < 7000; i++)
            seen[rng.NextInt(7)]++;
        Assert.That(seen, Has.All.InRange(850, 1150));
    }
}
