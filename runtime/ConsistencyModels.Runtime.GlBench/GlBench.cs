using System.Globalization;
using System.Text.Json;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.GlBench;

/// <summary>
/// The GL compute backend (GlComputeTextureGenerator, default model, headless EGL context) in one run: textures/s per
/// size and step count, with any <see cref="IGlBenchComparison"/> (the libtorch path) timed in alternating rounds so
/// machine load hits all alike. A GL texture counts when the GPU finished it (glFinish after each), a comparison's when
/// it is in the caller's buffer. With the dispatch plan's FLOPs and bytes per texture (convolutions, attention, norms;
/// a multiply-add = 2 FLOPs) it reports the achieved GFLOP/s and a roofline estimate for a GPU of <c>--peak-gflops</c>
/// and <c>--bandwidth-gbs</c> (default: a mid-range desktop GPU, 12 700 GFLOP/s fp32 and 360 GB/s, an RTX 3060-class card).
/// Arguments: <c>[--sizes 64,128,256] [--steps 1,2] [--seconds S] [--rounds R] [--peak-gflops G] [--bandwidth-gbs B] [--out F.json]</c>.
/// </summary>
public static class GlBench
{
    /// <summary>Runs the benchmark and writes its JSON; the comparisons are disposed by the caller.</summary>
    public static int Run(string[] args, IReadOnlyList<IGlBenchComparison> comparisons)
    {
        var sizes = (BenchArgs.Value(args, "--sizes") ?? "64,128,256").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var stepCounts = (BenchArgs.Value(args, "--steps") ?? "1,2").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        double seconds = double.Parse(BenchArgs.Value(args, "--seconds") ?? "2", CultureInfo.InvariantCulture);
        int rounds = int.Parse(BenchArgs.Value(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        double peak = double.Parse(BenchArgs.Value(args, "--peak-gflops") ?? "12700", CultureInfo.InvariantCulture);
        double bandwidth = double.Parse(BenchArgs.Value(args, "--bandwidth-gbs") ?? "360", CultureInfo.InvariantCulture);
        string output = BenchArgs.Value(args, "--out") ?? "gl-bench.json";

        using var context = GlContext.CreateHeadless();
        var gl = context.GL;
        using var generator = GlComputeTextureGenerator.LoadDefault(gl);
        string renderer = gl.GetStringS(StringName.Renderer) ?? "?";
        var results = new Dictionary<string, object?>
        {
            ["gl"] = context.Description,
            ["renderer"] = renderer,
            ["loadAverageStart"] = BenchClock.LoadAverage(),
            ["processorCount"] = Environment.ProcessorCount,
            ["lpNumThreads"] = Environment.GetEnvironmentVariable("LP_NUM_THREADS"),
            ["ompWaitPolicy"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
            ["rooflinePeakGflops"] = peak,
            ["rooflineBandwidthGBs"] = bandwidth,
        };
        Console.WriteLine($"{context.Description}; load average {results["loadAverageStart"]}; {Environment.ProcessorCount} cores; LP_NUM_THREADS={results["lpNumThreads"]}");

        var rows = new List<Dictionary<string, object?>>();
        foreach (int size in sizes)
            foreach (int steps in stepCounts)
            {
                uint texture = gl.GenTexture();
                gl.BindTexture(TextureTarget.Texture2D, texture);
                gl.TexStorage2D(TextureTarget.Texture2D, 1, SizedInternalFormat.Rgba8, (uint)size, (uint)size);
                gl.BindTexture(TextureTarget.Texture2D, 0);
                var destination = new float[3 * size * size];
                int frame = 0;
                TextureRequest Next() => new(size, size, frame % 8, steps, 1, frame++ / 60.0);
                void Gl() { generator.Generate(Next(), texture); gl.Finish(); }
                var others = comparisons.Select(c => (Action)(() => c.Generate(Next(), destination))).ToArray();
                for (int i = 0; i < 3; i++) { Gl(); foreach (var o in others) o(); } // warm-up, thread tuning
                var glRates = new List<double>();
                var otherRates = others.Select(_ => new List<double>()).ToArray();
                for (int r = 0; r < rounds; r++)
                {
                    glRates.Add(BenchClock.Rate(Gl, seconds));
                    for (int c = 0; c < others.Length; c++) otherRates[c].Add(BenchClock.Rate(others[c], seconds));
                }
                gl.DeleteTexture(texture);
                var (flops, bytes) = generator.Cost(size, size, steps);
                double g = BenchClock.Median(glRates);
                double rooflineSeconds = Math.Max(flops / (peak * 1e9), bytes / (bandwidth * 1e9));
                var row = new Dictionary<string, object?>
                {
                    ["size"] = size,
                    ["steps"] = steps,
                    ["glTexturesPerSecond"] = Math.Round(g, 3),
                };
                for (int c = 0; c < others.Length; c++)
                    row[comparisons[c].Key + "TexturesPerSecond"] = Math.Round(BenchClock.Median(otherRates[c]), 3);
                if (others.Length > 0)
                {
                    double first = BenchClock.Median(otherRates[0]);
                    row["glOver" + char.ToUpperInvariant(comparisons[0].Key[0]) + comparisons[0].Key[1..]] = Math.Round(g / first, 3);
                    row[comparisons[0].Key + "Gflops"] = Math.Round(flops * first / 1e9, 2);
                }
                row["gflopPerTexture"] = Math.Round(flops / 1e9, 4);
                row["mbPerTexture"] = Math.Round(bytes / 1e6, 2);
                row["arithmeticIntensity"] = Math.Round(flops / bytes, 2);
                row["glGflops"] = Math.Round(flops * g / 1e9, 2);
                row["dispatchesPerTexture"] = steps * generator.DispatchesPerEvaluation + 2 + steps;
                row["rooflineTexturesPerSecond"] = Math.Round(1 / rooflineSeconds, 1);
                row["load"] = BenchClock.LoadAverage();
                rows.Add(row);
                string compared = string.Concat(comparisons.Select((c, i) =>
                    $", {c.Label} {BenchClock.Median(otherRates[i]):F2}/s ({flops * BenchClock.Median(otherRates[i]) / 1e9:F1} GFLOP/s)"));
                Console.WriteLine($"{size}² {steps} step(s): GL {g:F2}/s ({flops * g / 1e9:F1} GFLOP/s){compared}"
                    + $"; {flops / 1e9:F3} GFLOP, {bytes / 1e6:F1} MB per texture, {flops / bytes:F1} FLOP/B, roofline {1 / rooflineSeconds:F0}/s (load {row["load"]})");
            }
        results["rows"] = rows;
        results["comparisons"] = comparisons.Select(c => c.Label).ToArray();
        results["loadAverageEnd"] = BenchClock.LoadAverage();
        File.WriteAllText(output, JsonSerializer.Serialize(results, GlBenchJson.Default.DictionaryStringObject));
        Console.WriteLine($"load average at end: {results["loadAverageEnd"]}; wrote {output}");
        return 0;
    }
}
