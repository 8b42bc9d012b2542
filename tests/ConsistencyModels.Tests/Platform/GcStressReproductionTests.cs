using System.Diagnostics;
using System.Runtime.InteropServices;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Platform;

/// <summary>
/// The standalone reproduction of the finalized-Scalar crash (issue 12): with a thread forcing collections and
/// finalizers, an implicit number → Scalar conversion in a native call fails inside libtorch within seconds, and the
/// same call with a Scalar kept alive by a <c>using</c> variable does not. The unsafe test must see the failure, so
/// it fails if TorchSharp ever stops being vulnerable (then the analyzer's rules could be relaxed) or if the stress
/// thread stops doing its job.
/// </summary>
[NonParallelizable]
public class GcStressReproductionTests
{
    private static readonly TimeSpan UnsafeLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SafeDuration = TimeSpan.FromSeconds(4);

    [Test]
    public void ImplicitScalarIsFreedDuringTheNativeCallUnderGcStress()
    {
        using var x = ones(8);
        using var y = zeros(8);
        var (failure, iterations, seconds) = RunUntilFailure(UnsafeLimit, () =>
        {
            // The unsafe pattern on purpose: add_(Tensor) makes its alpha = 1 Scalar inside TorchSharp (optimized
            // code, so the wrapper is dead once its handle is read). An implicit conversion in this Debug-built
            // test would be kept alive by the unoptimized JIT until the lambda returns, and not fail here.
#pragma warning disable CM0002
            x.add_(y);
#pragma warning restore CM0002
        });
        Assert.That(failure, Is.Not.Null, $"no libtorch failure in {iterations} unsafe calls over {seconds:F1} s of GC stress");
        TestContext.Out.WriteLine($"unsafe: '{failure!.Message}' after {iterations} calls, {seconds:F2} s");
    }

    [Test]
    public void KeptAliveScalarSurvivesGcStress()
    {
        using var x = ones(8);
        using var y = zeros(8);
        long before = GcStress.Collections;
        var (failure, iterations, seconds) = RunUntilFailure(SafeDuration, () =>
        {
            using var alpha = 1.ToScalar();
            x.add_(y, alpha);
        });
        Assert.That(failure, Is.Null, $"kept-alive Scalar failed after {iterations} calls");
        Assert.That(GcStress.Collections - before, Is.GreaterThan(10), "the stress thread must have collected during the run");
        Assert.That(x.sum().item<float>(), Is.EqualTo(8f));
        TestContext.Out.WriteLine($"safe: {iterations} calls clean over {seconds:F1} s, {GcStress.Collections - before} collections");
    }

    /// <summary>Calls <paramref name="call"/> under GC stress until libtorch fails or the time is up.</summary>
    private static (ExternalException? Failure, long Iterations, double Seconds) RunUntilFailure(TimeSpan limit, Action call)
    {
        using var stress = GcStress.Begin();
        var clock = Stopwatch.StartNew();
        long iterations = 0;
        while (clock.Elapsed < limit)
        {
            try
            {
                call();
            }
            catch (ExternalException e)
            {
                return (e, iterations, clock.Elapsed.TotalSeconds);
            }
            iterations++;
        }
        return (null, iterations, clock.Elapsed.TotalSeconds);
    }
}
