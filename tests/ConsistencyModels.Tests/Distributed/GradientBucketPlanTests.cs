using ConsistencyModels.Distributed;

namespace ConsistencyModels.Tests.Distributed;

public sealed class GradientBucketPlanTests
{
    [Test]
    public void GreedyPlan_ClosesABucketBeforeItWouldOverflow()
    {
        // Cap 10: [4, 5] = 9, then 3 would make 12 → new bucket [3, 7] = 10, then [2].
        var plan = GradientBucketPlan.Plan([4, 5, 3, 7, 2], 10);
        Assert.That(plan, Is.EqualTo(new[]
        {
            new GradientBucket(0, 2, 9), new GradientBucket(2, 2, 10), new GradientBucket(4, 1, 2),
        }));
    }

    [Test]
    public void TensorLargerThanTheCap_GetsItsOwnBucket()
    {
        var plan = GradientBucketPlan.Plan([3, 25, 1], 10);
        Assert.That(plan, Is.EqualTo(new[] { new GradientBucket(0, 1, 3), new GradientBucket(1, 1, 25), new GradientBucket(2, 1, 1) }));
    }

    [Test]
    public void LargeCap_PutsEverythingInOneBucket_AndEmptyInputGivesNone()
    {
        Assert.That(GradientBucketPlan.Plan([1, 2, 3], 1000), Is.EqualTo(new[] { new GradientBucket(0, 3, 6) }));
        Assert.That(GradientBucketPlan.Plan([], 10), Is.Empty);
    }

    [Test]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientBucketPlan.Plan([1], 0));
        Assert.Throws<ArgumentException>(() => GradientBucketPlan.Plan([-1], 10));
        Assert.Throws<ArgumentException>(() => GradientBucketPlan.Plan([(long)int.MaxValue + 1], long.MaxValue));
    }
}
