using ConsistencyModels.Metrics;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Metrics;

public class SeamErrorTests
{
    private const int N = 16;

    private static Tensor SinImage()
    {
        // Integer periods (2 in x, 3 in y), so the image is periodic on the N×N torus.
        var y = ScalarArithmetic.Arange(N, dtype: float64).reshape(N, 1);
        var x = ScalarArithmetic.Arange(N, dtype: float64).reshape(1, N);
        var v = x.Times(2 * Math.PI * 2).Over(N).Plus(0.3).sin().Times(0.5).Plus(y.Times(2 * Math.PI * 3).Over(N).cos().Times(0.4));
        return v.unsqueeze(0).expand(3, N, N);
    }

    [Test]
    public void AllShiftsOfAPeriodicImageGiveExactlyOne()
    {
        // Over all N² circular shifts, every cyclic neighbour pair is the seam equally often,
        // so the seam and interior means coincide exactly.
        using var scope = torch.NewDisposeScope();
        var img = SinImage();
        var shifts = new List<Tensor>();
        for (int dy = 0; dy < N; dy++)
            for (int dx = 0; dx < N; dx++)
                shifts.Add(img.roll(new long[] { dy, dx }, new long[] { 1, 2 }));
        Assert.That(SeamError.Compute(torch.stack(shifts)), Is.EqualTo(1.0).Within(1e-9));
    }

    [Test]
    public void SinglePeriodicImageIsNearOne()
    {
        using var scope = torch.NewDisposeScope();
        double e = SeamError.Compute(SinImage().unsqueeze(0));
        TestContext.Out.WriteLine($"seam error of one sin image: {e}");
        Assert.That(e, Is.InRange(0.5, 2.0));
    }

    [Test]
    public void HorizontalRampGivesWidthMinusOne()
    {
        // Interior x-steps 2/(N−1), y-steps 0; seam x-step 2, y-step 0 → ratio (N·2 / 2N) / (N(N−1)·2/(N−1) / 2N(N−1)) = N − 1.
        using var scope = torch.NewDisposeScope();
        var ramp = ScalarArithmetic.Arange(N, dtype: float64).Times(2.0 / (N - 1)).Minus(1).reshape(1, 1, 1, N).expand(2, 3, N, N);
        Assert.That(SeamError.Compute(ramp), Is.EqualTo(N - 1).Within(1e-9));
    }

    [Test]
    public void RejectsNonImageInput()
    {
        using var bad = torch.zeros(3, 8, 8);
        Assert.Throws<ArgumentException>(() => SeamError.Compute(bad));
    }
}
