using System.Diagnostics;
using System.Globalization;
using ConsistencyModels.Networks;
using static TorchSharp.torch;

using ConsistencyModels.Runtime.GlBench;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>
/// <c>--batch N [--size S] [--steps K] [--rounds R] [--precision fp32|bf16|auto] [--threads T]</c>: N textures as one batched
/// <see cref="TextureGenerator.Generate(ReadOnlySpan{TextureRequest}, Span{float})"/> against N single calls, the two
/// interleaved round by round so the shared machine's load hits both alike; prints the median of each and their ratio.
/// The default model (different class and seed per texture), libtorch's thread count fixed for both.
/// </summary>
internal static class BatchBench
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => BenchArgs.Value(args, name);
        int n = int.Parse(Arg("--batch") ?? "8", CultureInfo.InvariantCulture);
        int size = int.Parse(Arg("--size") ?? "128", CultureInfo.InvariantCulture);
        int steps = int.Parse(Arg("--steps") ?? "1", CultureInfo.InvariantCulture);
        int rounds = int.Parse(Arg("--rounds") ?? "15", CultureInfo.InvariantCulture);
        var precision = (Arg("--precision") ?? "fp32") switch
        {
            "fp32" => NetworkPrecision.Float32,
            "bf16" => NetworkPrecision.BFloat16,
            "auto" => NetworkPrecision.Auto,
            var p => throw new ArgumentException($"--precision: expected fp32, bf16 or auto, got '{p}'"),
        };
        using var generator = TextureGenerator.HasDefaultModel
            ? TextureGenerator.LoadDefault(CPU, precision)
            : new TextureGenerator(BenchModels.Save(UNetConfig.Small, "small"), CPU, precision);
        generator.Threads = int.Parse(Arg("--threads") ?? get_num_threads().ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int classes = Math.Max(1, generator.ClassNames.Count);
        var requests = Enumerable.Range(0, n).Select(i => new TextureRequest(size, size, i % classes, steps, (ulong)(i + 1), 0)).ToArray();
        var pixels = new float[n * requests[0].PlanarLength];

        void Singles()
        {
            for (int i = 0; i < n; i++) generator.Generate(requests[i], pixels.AsSpan(i * requests[0].PlanarLength, requests[0].PlanarLength));
        }
        void Batch() => generator.Generate(requests, pixels);
        for (int w = 0; w < 3; w++) { Singles(); Batch(); } // warm-up: buffers, TorchScript profiling runs

        var single = new List<double>();
        var batched = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            Singles();
            single.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            Batch();
            batched.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        double s = Median(single), b = Median(batched);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{generator.Description}; {n} textures {size}² × {steps} step(s), threads {generator.Threads}, {rounds} rounds, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{n} single calls: {s:F1} ms ({s / n:F2} ms/texture); one batch of {n}: {b:F1} ms ({b / n:F2} ms/texture); batch/single time ratio {b / s:F2}"));
        return 0;
    }
}
