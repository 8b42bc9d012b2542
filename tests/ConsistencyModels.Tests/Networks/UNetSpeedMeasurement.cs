using System.Diagnostics;
using ConsistencyModels.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Networks;

/// <summary>Console timings for the report (no assertions on time). Run explicitly:
/// dotnet test --filter "FullyQualifiedName~UNetSpeedMeasurement".</summary>
[Explicit("timing measurement, not a unit test")]
public class UNetSpeedMeasurement
{
    [TestCase("Small", 128, 20)]
    [TestCase("Small", 64, 40)]
    [TestCase("SmallNoStem", 128, 5)]
    [TestCase("SmallR1", 128, 20)]
    [TestCase("SmallZeroPad", 128, 20)]
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
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) net.forward(x, c, null).Dispose();
        double s = sw.Elapsed.TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        TestContext.Out.WriteLine($"{preset} {size}²: {iterations / s:F1} textures/s ({1000 * s / iterations:F1} ms wall, {1000 * cpu / iterations:F1} ms CPU), params {net.ParameterCount}, threads {get_num_threads()}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }

    [TestCase("Tiny", 10)]
    [TestCase("Small", 10)]
    public void TrainingStepTime(string preset, int iterations)
    {
        var cfg = preset == "Tiny" ? UNetConfig.Tiny : UNetConfig.Small;
        using var net = new UNet(cfg);
        net.train();
        using var opt = optim.Adam(net.parameters(), 1e-4);
        using var x = randn(32, 3, 32, 32);
        using var c = randn(32);
        void Step()
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = (net.forward(x, c, null) - x).square().mean();
            loss.backward();
            opt.step();
        }
        for (int i = 0; i < 2; i++) Step();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) Step();
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        TestContext.Out.WriteLine($"{preset} train batch 32 @ 32²: {sw.Elapsed.TotalMilliseconds / iterations:F0} ms/iteration wall, {cpu / iterations:F0} ms CPU, params {net.ParameterCount}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }
}
