using System.Diagnostics;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Networks;

/// <summary>Console timings for the report (no assertions on time). Run explicitly:
/// dotnet test --filter "FullyQualifiedName~UNetSpeedMeasurement".</summary>
[Explicit("timing measurement, not a unit test")]
public class UNetSpeedMeasurement
{
    [TestCase("Small", 128, 60)]
    [TestCase("Small", 64, 100)]
    [TestCase("SmallNoStem", 128, 15)]
    [TestCase("SmallR1", 128, 60)]
    [TestCase("SmallZeroPad", 128, 60)]
    public void ForwardTexturesPerSecond(string preset, int size, int iterations)
    {
        var cfg = preset switch
        {
            "Small" => UNetConfig.Small,
            "SmallR1" => UNetConfig.Small with { ResBlocksPerLevel = 1 },
            "SmallZeroPad" => UNetConfig.Small with { CircularPadding = false },
            _ => UNetConfig.Small with { PixelUnshuffleStem = false },
        };
        using var net = new UNet(cfg);
        NetworkTestHelpers.Randomize(net, 1, 0.05);
        net.eval();
        using var _ = no_grad();
        using var x = randn(1, 3, size, size);
        using var c = tensor(new float[] { 0.3f });
        for (int i = 0; i < 3; i++) net.forward(x, c, null).Dispose();
        // The machine is shared: report the median and the best single forward time (the best is the
        // uncontended speed).
        var times = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            net.forward(x, c, null).Dispose();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        double best = times[0], median = times[times.Count / 2];
        TestContext.Out.WriteLine($"{preset} {size}²: best {1000 / best:F1} textures/s ({best:F1} ms), median {1000 / median:F1} textures/s ({median:F1} ms), params {net.ParameterCount}, threads {get_num_threads()}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }

    [TestCase("Tiny", 20)]
    [TestCase("Small", 20)]
    public void TrainingStepTime(string preset, int iterations)
    {
        var cfg = preset == "Tiny" ? UNetConfig.Tiny : UNetConfig.Small;
        using var net = new UNet(cfg);
        net.train();
        using var opt = new ConsistencyModels.Training.AdamOptimizer(net.parameters(), 1e-4);
        using var x = randn(32, 3, 32, 32);
        using var c = randn(32);
        void Step()
        {
            using var scope = NewDisposeScope();
            opt.ZeroGrad();
            var loss = (net.forward(x, c, null) - x).Square().mean();
            loss.backward();
            opt.Step();
        }
        for (int i = 0; i < 2; i++) Step();
        var times = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            Step();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        TestContext.Out.WriteLine($"{preset} train batch 32 @ 32²: best {times[0]:F0} ms/iteration, median {times[times.Count / 2]:F0} ms, params {net.ParameterCount}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }
}

/// <summary>Single-thread CPU-time measurements (robust to other processes on the machine).</summary>
[Explicit("timing measurement, not a unit test")]
public class UNetCpuTimeMeasurement
{
    private static double CpuMs(Action a, int n)
    {
        a();
        var t0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < n; i++) a();
        return (Process.GetCurrentProcess().TotalProcessorTime - t0).TotalMilliseconds / n;
    }

    [Test]
    public void SingleThread()
    {
        int old = get_num_threads();
        set_num_threads(1);
        try
        {
            using var _ = no_grad();
            foreach (var (cin, size) in new[] { (32, 64), (64, 32), (128, 16) })
            {
                using var conv = nn.Conv2d(cin, cin, 3, padding: 1, padding_mode: PaddingModes.Circular);
                using var x = randn(1, cin, size, size);
                double ms = CpuMs(() => conv.forward(x).Dispose(), 50);
                double mac = (double)cin * cin * 9 * size * size;
                TestContext.Out.WriteLine($"conv {cin}->{cin} @ {size}²: {ms:F2} ms CPU, {2 * mac / ms / 1e6:F1} GFLOP/s");
                using var xcl = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
                using var wcl = conv.weight.detach().permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
                using var xp = nn.functional.pad(xcl, [1, 1, 1, 1], PaddingModes.Circular);
                TestContext.Out.WriteLine($"  padded stride {string.Join(",", xp.stride())}");
                double msCl = CpuMs(() => nn.functional.conv2d(nn.functional.pad(xcl, [1, 1, 1, 1], PaddingModes.Circular), wcl, conv.bias).Dispose(), 50);
                using var yy = nn.functional.conv2d(xp, wcl, conv.bias);
                TestContext.Out.WriteLine($"  channels-last: {msCl:F2} ms CPU, out stride {string.Join(",", yy.stride())}");
                using var gn = ConsistencyModels.Networks.Normalization.GroupNorm(cin);
                TestContext.Out.WriteLine($"  groupnorm {CpuMs(() => gn.forward(x).Dispose(), 50):F3} ms, silu {CpuMs(() => nn.functional.silu(x).Dispose(), 50):F3} ms, pad {CpuMs(() => nn.functional.pad(x, [1, 1, 1, 1], PaddingModes.Circular).Dispose(), 50):F3} ms, groupnorm-cl {CpuMs(() => gn.forward(xcl).Dispose(), 50):F3} ms");
            }
            foreach (var (name, cfg) in new[] { ("Small", UNetConfig.Small), ("SmallR1", UNetConfig.Small with { ResBlocksPerLevel = 1 }),
                ("SmallZeroPad", UNetConfig.Small with { CircularPadding = false }), ("SmallNoStem", UNetConfig.Small with { PixelUnshuffleStem = false }) })
            {
                using var net = new UNet(cfg);
                net.eval();
                foreach (int size in new[] { 128, 64 })
                {
                    using var x = randn(1, 3, size, size);
                    using var c = tensor(new float[] { 0.3f });
                    double ms = CpuMs(() => net.forward(x, c, null).Dispose(), 10);
                    double best = double.MaxValue;
                    for (int i = 0; i < 10; i++)
                    {
                        var sw = Stopwatch.StartNew();
                        net.forward(x, c, null).Dispose();
                        best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
                    }
                    TestContext.Out.WriteLine($"{name} forward {size}² (1 thread): {ms:F1} ms CPU mean, best wall {best:F1} ms");
                }
            }
        }
        finally
        {
            set_num_threads(old);
        }
    }
}
