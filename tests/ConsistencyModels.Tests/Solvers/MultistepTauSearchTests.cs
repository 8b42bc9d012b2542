using ConsistencyModels.Schedules;
using ConsistencyModels.Solvers;

namespace ConsistencyModels.Tests.Solvers;

/// <summary>The ternary search over grid indices for the 2-step τ.</summary>
public class MultistepTauSearchTests
{
    [TestCase(1)]
    [TestCase(17)]
    [TestCase(22)]
    [TestCase(38)]
    public void FindsTheMinimumOfAUnimodalMetricWithFewEvaluations(int target)
    {
        var grid = KarrasSchedule.Sigmas(40, appendZero: false);
        var r = MultistepTauSearch.FindTwoStepTau(tau => Math.Abs(Math.Log(tau) - Math.Log(grid[target])) + 1.0, 40);
        Assert.That(r.Index, Is.EqualTo(target));
        Assert.That(r.Tau, Is.EqualTo(grid[target]));
        Assert.That(r.Metric, Is.EqualTo(1.0).Within(1e-12));
        Assert.That(r.Evaluations, Is.LessThan(20), "ternary search must beat the 38-point scan");
    }

    [Test]
    public void PlainTernarySearchAndBadInterval()
    {
        var (i, v, _) = MultistepTauSearch.TernarySearch(k => (k - 7) * (k - 7), 0, 100);
        Assert.That(i, Is.EqualTo(7));
        Assert.That(v, Is.EqualTo(0));
        Assert.Throws<ArgumentException>(() => MultistepTauSearch.TernarySearch(k => k, 5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultistepTauSearch.FindTwoStepTau(t => t, 2));
    }
}
