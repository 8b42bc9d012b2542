using ConsistencyModels.Schedules;

namespace ConsistencyModels.Tests.Schedules;

/// <summary>Karras grid against hand-worked values.</summary>
public class KarrasScheduleTests
{
    [Test]
    public void TwoPointGridIsSigmaMaxSigmaMinZero()
    {
        Assert.That(KarrasSchedule.Sigmas(2), Is.EqualTo(new[] { 80.0, 0.002, 0.0 }));
        Assert.That(KarrasSchedule.Sigmas(2, appendZero: false), Is.EqualTo(new[] { 80.0, 0.002 }));
    }

    [Test]
    public void MiddlePointMatchesHandValue()
    {
        // 80^{1/7} = e^{ln 80/7} = e^{0.626000} = 1.870122; 0.002^{1/7} = e^{−6.214608/7} = 0.411560;
        // i = 1 of N = 3: ((1.870122 + 0.411560)/2)^7 = 1.140841^7 = 2.515219.
        var s = KarrasSchedule.Sigmas(3);
        Assert.That(s, Has.Length.EqualTo(4));
        Assert.That(s[1], Is.EqualTo(2.515219).Within(1e-6));
        Assert.That(KarrasSchedule.Sigma(1, 3), Is.EqualTo(s[1]));
    }

    [Test]
    public void GridIsStrictlyDecreasingWithPinnedEnds()
    {
        var s = KarrasSchedule.Sigmas(40);
        Assert.That(s[0], Is.EqualTo(80.0));
        Assert.That(s[39], Is.EqualTo(0.002));
        Assert.That(s[40], Is.EqualTo(0.0));
        for (int i = 1; i < s.Length; i++) Assert.That(s[i], Is.LessThan(s[i - 1]));
        // ρ = 1 is a linear grid: check a point by hand, σ_1 of N = 5 on [1, 5] = 5 + ¼·(1 − 5) = 4.
        Assert.That(KarrasSchedule.Sigmas(5, 1, 5, 1)[1], Is.EqualTo(4.0).Within(1e-12));
    }

    [Test]
    public void BadArgumentsThrowWithUsefulMessages()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => KarrasSchedule.Sigmas(1));
        Assert.That(ex!.Message, Does.Contain("N >= 2"));
        Assert.Throws<ArgumentOutOfRangeException>(() => KarrasSchedule.Sigmas(10, sigmaMin: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KarrasSchedule.Sigmas(10, sigmaMin: 1, sigmaMax: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => KarrasSchedule.Sigma(10, 10));
    }
}
