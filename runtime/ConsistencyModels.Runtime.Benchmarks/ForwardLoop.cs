using System.Diagnostics;
using System.Globalization;
using ConsistencyModels.Networks;
using static TorchSharp.torch;

using ConsistencyModels.Runtime.GlBench;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>
/// <c>--forward-loop SECONDS [--size N] [--precision fp32|bf16] [--forward compiled|module] [--threads N] [--on-thread]</c>: nothing but 1-step frames of the default model (or
/// Small with random weights) for a profiler to sample (tools/perf-overhead.sh splits the time between libtorch,
/// .NET and the TorchSharp binding). Prints frames per second at the end.
/// </summary>
internal static class ForwardLoop
{
    public static int Run(string[] args, double seconds)
    {
        int size = BenchArgs.Value(args, "--size") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 128;
        var precision = BenchArgs.Value(args, "--precision") == "bf16" ? NetworkPrecision.BFloat16 : NetworkPrecision.Float32;
        bool compile = BenchArgs.Value(args, "--forward") != "module";
        if (BenchArgs.Value(args, "--threads") is { } t) set_num_threads(int.Parse(t, CultureInfo.InvariantCulture));
        using var generator = TextureGenerator.HasDefaultModel
            ? TextureGenerator.LoadDefault(CPU, precision, compile)
            : new TextureGenerator(BenchModels.Save(UNetConfig.Small, "small"), CPU, precision, compile);
        var destination = new float[3 * size * size];
        int frames = 0;
        var clock = Stopwatch.StartNew();
        void Loop()
        {
            while (clock.Elapsed.TotalSeconds < seconds)
                generator.Generate(new TextureRequest(size, size, frames % 8, 1, 1, frames++ / 60.0), destination);
        }
        // --on-thread: generate on a new thread, as TextureProducer does.
        if (args.Contains("--on-thread"))
        {
            var thread = new Thread(Loop) { Name = "generation" };
            thread.Start();
            thread.Join();
        }
        else Loop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"forward loop: {generator.Description}, {size}², {frames} frames in {clock.Elapsed.TotalSeconds:F1} s = {frames / clock.Elapsed.TotalSeconds:F2}/s"));
        return 0;
    }
}
