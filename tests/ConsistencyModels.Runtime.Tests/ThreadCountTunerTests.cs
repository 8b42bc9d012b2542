namespace ConsistencyModels.Runtime.Tests;

public class ThreadCountTunerTests
{
    [TestCase(1, new[] { 1 })]
    [TestCase(2, new[] { 1, 2 })]
    [TestCase(6, new[] { 1, 2, 4, 6 })]
    [TestCase(8, new[] { 1, 2, 4, 8 })]
    public void CandidatesArePowersOfTwoUpToTheMaximum(int max, int[] expected)
    {
        var tuner = new ThreadCountTuner(max);
        Assert.That(tuner.Candidates, Is.EqualTo(expected));
        Assert.That(tuner.TuningFrames, Is.EqualTo(expected.Length == 1 ? 0 : expected.Length * (1 + tuner.TimedFrames)));
    }

    // Drives the tuner like the generator does, with a made-up time per thread count; returns the frames it took.
    private static int Tune(ThreadCountTuner tuner, int w, int h, Func<int, int, double> seconds)
    {
        int frame = 0;
        while (tuner.Chosen(w, h) is null)
        {
            int threads = tuner.ThreadsFor(w, h);
            tuner.Report(w, h, threads, seconds(threads, frame++));
            Assert.That(frame, Is.LessThan(1000), "tuning never ends");
        }
        return frame;
    }

    [Test]
    public void KeepsTheFastestCandidatePerSize()
    {
        var tuner = new ThreadCountTuner(4);
        // 64²: one thread fastest (per-op overhead); 256²: four threads fastest.
        int frames = Tune(tuner, 64, 64, (t, _) => 0.010 + 0.002 * t);
        Assert.That(frames, Is.EqualTo(tuner.TuningFrames));
        Tune(tuner, 256, 256, (t, _) => 0.4 / t);
        Assert.That(tuner.Chosen(64, 64), Is.EqualTo(1));
        Assert.That(tuner.Chosen(256, 256), Is.EqualTo(4));
        Assert.That(tuner.ThreadsFor(64, 64), Is.EqualTo(1));
        Assert.That(tuner.ThreadsFor(256, 256), Is.EqualTo(4));
        Assert.That(tuner.Chosen(128, 64), Is.Null, "another size is tuned on its own");
        tuner.Reset();
        Assert.That(tuner.Chosen(64, 64), Is.Null);
    }

    [Test]
    public void WarmUpFramesAndASingleOutlierDoNotDecide()
    {
        var tuner = new ThreadCountTuner(2, timedFrames: 3);
        // Two threads are faster (5 ms vs 8 ms), but the first frame after each switch is slow (pool start-up) and
        // one timed two-thread frame is hit by a stall: the medians still pick 2.
        int twoThreadFrames = 0;
        Tune(tuner, 32, 32, (t, frame) =>
        {
            if (t == 1) return frame == 0 ? 1.0 : 0.008;
            twoThreadFrames++;
            return twoThreadFrames == 1 ? 1.0 : twoThreadFrames == 3 ? 0.5 : 0.005;
        });
        Assert.That(tuner.Chosen(32, 32), Is.EqualTo(2));
    }

    [Test]
    public void ReportsForAnotherThreadCountAreIgnored()
    {
        var tuner = new ThreadCountTuner(2);
        for (int i = 0; i < 50; i++) tuner.Report(16, 16, 7, 0.001);
        Assert.That(tuner.Chosen(16, 16), Is.Null);
        Assert.That(tuner.ThreadsFor(16, 16), Is.EqualTo(1), "still on the first candidate");
    }

    [Test]
    public void OneCandidateNeedsNoTuning()
    {
        var tuner = new ThreadCountTuner(1);
        Assert.That(tuner.Chosen(8, 8), Is.EqualTo(1));
        Assert.That(tuner.ThreadsFor(8, 8), Is.EqualTo(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ThreadCountTuner(0));
    }

    [TestCase(new[] { 3.0 }, 3.0)]
    [TestCase(new[] { 5.0, 1.0, 3.0 }, 3.0)]
    [TestCase(new[] { 4.0, 1.0, 3.0, 2.0 }, 2.5)]
    public void MedianIsExact(double[] values, double expected) =>
        Assert.That(ThreadCountTuner.Median(values), Is.EqualTo(expected));

    [Test]
    public void SteadyStateAllocatesNothing()
    {
        var tuner = new ThreadCountTuner(8);
        Tune(tuner, 64, 64, (t, _) => 1.0 / t);
        Tune(tuner, 128, 64, (t, _) => t);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            int t = tuner.ThreadsFor(64 + 64 * (i % 2), 64);
            tuner.Report(64 + 64 * (i % 2), 64, t, 0.01);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
    }
}
