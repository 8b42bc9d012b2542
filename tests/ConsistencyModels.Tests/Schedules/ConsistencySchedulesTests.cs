using ConsistencyModels.Schedules;

namespace ConsistencyModels.Tests.Schedules;

/// <summary>N(k), μ(k) of CD, CT and iCT against the papers' formulas worked by hand.</summary>
public class ConsistencySchedulesTests
{
    [Test]
    public void CdIsFixed()
    {
        Assert.That(ConsistencySchedules.Cd(40, 0.95), Is.EqualTo(new ConsistencyScheduleStep(40, 0.95)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencySchedules.Cd(1, 0.95));
    }

    [Test]
    public void CtMatchesHandValues()
    {
        // k = 0: ⌈√(s0²) − 1⌉ + 1 = s0 = 2.  k = K: ⌈√((s1+1)²) − 1⌉ + 1 = s1 + 1 = 151.
        Assert.That(ConsistencySchedules.CtN(0, 1000), Is.EqualTo(2));
        Assert.That(ConsistencySchedules.CtN(1000, 1000), Is.EqualTo(151));
        // k/K = ½: √(½·(151² − 4) + 4) = √11402.5 = 106.782; ⌈105.782⌉ + 1 = 107.
        Assert.That(ConsistencySchedules.CtN(500, 1000), Is.EqualTo(107));
        // μ(N) = exp(s0·ln μ0/N): N = 2 → μ0 = 0.9; N = 107 → exp(2·ln 0.9/107) = exp(−0.0019694) = 0.9980326.
        Assert.That(ConsistencySchedules.CtMu(2), Is.EqualTo(0.9).Within(1e-12));
        Assert.That(ConsistencySchedules.Ct(500, 1000).Mu, Is.EqualTo(0.9980326).Within(1e-7));
        for (int k = 1; k <= 1000; k++)
            Assert.That(ConsistencySchedules.CtN(k, 1000), Is.GreaterThanOrEqualTo(ConsistencySchedules.CtN(k - 1, 1000)));
    }

    [Test]
    public void IctDoublesFromElevenTo1281()
    {
        // s0 = 10, s1 = 1280: log2⌊1280/10⌋ + 1 = 8 stages, K' = ⌊8000/8⌋ = 1000.
        Assert.That(ConsistencySchedules.IctN(0, 8000), Is.EqualTo(11));
        Assert.That(ConsistencySchedules.IctN(999, 8000), Is.EqualTo(11));
        Assert.That(ConsistencySchedules.IctN(1000, 8000), Is.EqualTo(21));
        Assert.That(ConsistencySchedules.IctN(2500, 8000), Is.EqualTo(41));   // 10·2² + 1
        Assert.That(ConsistencySchedules.IctN(7000, 8000), Is.EqualTo(1281)); // 10·2⁷ = 1280, + 1
        Assert.That(ConsistencySchedules.IctN(8000, 8000), Is.EqualTo(1281)); // capped at s1
        Assert.That(ConsistencySchedules.Ict(0, 8000).Mu, Is.EqualTo(0.0));
    }

    /// <summary>The paper's curriculum (Song &amp; Dhariwal 2023, §3.4): N(k) = min(s0·2^⌊k/K'⌋, s1) + 1 with
    /// K' = ⌊K / (log2⌊s1/s0⌋ + 1)⌋, the floor on the ratio only. For s0 10, s1 150 (ratio 15, not a power of two)
    /// K' = ⌊1000 / 4.9069⌋ = 203, so N reaches s1 + 1 at k = 4·203 = 812 ≈ 0.81 K, not at K.</summary>
    [Test]
    public void IctFollowsThePaperForARatioThatIsNotAPowerOfTwo()
    {
        const int s0 = 10, s1 = 150;
        const long total = 1000;
        long kPrime = (long)Math.Floor(total / (Math.Log2(Math.Floor((double)s1 / s0)) + 1));
        Assert.That(kPrime, Is.EqualTo(203));
        for (long k = 0; k <= total; k++)
        {
            long expected = Math.Min(s0 * (1L << (int)Math.Min(30, k / kPrime)), s1) + 1;
            Assert.That(ConsistencySchedules.IctN(k, total, s0, s1), Is.EqualTo(expected), $"k = {k}");
        }
        Assert.That(ConsistencySchedules.IctN(811, total, s0, s1), Is.EqualTo(81));
        Assert.That(ConsistencySchedules.IctN(812, total, s0, s1), Is.EqualTo(151));
    }

    [Test]
    public void BadStepsThrow()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencySchedules.CtN(11, 10));
        Assert.That(ex!.Message, Does.Contain("[0, K = 10]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencySchedules.IctN(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConsistencySchedules.CtMu(10, mu0: 1.0));
    }
}
