using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>
/// The GL compute backend (GlComputeTextureGenerator, default model, headless EGL context) beside the libtorch path
/// (TextureGenerator, compiled TorchScript, float32 and the default precision) in one run: textures/s per size and step
/// count, rounds alternating so machine load hits both alike. A GL texture counts when the GPU finished it (glFinish
/// after each), a libtorch texture when it is in the caller's buffer. With the dispatch plan's FLOPs and bytes per texture
/// (convolutions, attention, norms; a multiply-add = 2 FLOPs) it reports the achieved GFLOP/s of each and a roofline
/// estimate for a GPU of <c>--peak-gflops</c> and <c>--bandwidth-gbs</c> (default: a mid-range desktop GPU, 12 700
/// GFLOP/s fp32 and 360 GB/s, an RTX 3060-class card).
/// <c>--gl [--sizes 64,128,256] [--steps 1,2] [--seconds S] [--rounds R] [--no-torch] [--peak-gflops G] [--bandwidth-gbs B] [--out F.json]</c>.
/// </summary>
internal static class GlBench
{
    public static int Run(string[] args)
    {
        var sizes = (QuickBench.Arg(args, "--sizes") ?? "64,128,256").Split(',').Select(int.Parse).ToArray();
        var stepCounts = (QuickBench.Arg(args, "--steps") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        double seconds = double.Parse(QuickBench.Arg(args, "--seconds") ?? "2", CultureInfo.InvariantCulture);
        int rounds = int.Parse(QuickBench.Arg(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        double peak = double.Parse(QuickBench.Arg(args, "--peak-gflops") ?? "12700", CultureInfo.InvariantCulture);
        double bandwidth = double.Parse(QuickBench.Arg(args, "--bandwidth-gbs") ?? "360", CultureInfo.InvariantCulture);
        bool torchToo = !args.Contains("--no-torch");
        string output = QuickBench.Arg(args, "--out") ?? "gl-bench.json";

        using var context = GlContext.CreateHeadless();
        var gl = context.GL;
        using var generator = GlComputeTextureGenerator.LoadDefault(gl);
        string renderer = gl.GetStringS(StringName.Renderer) ?? "?";
        var results = new Dictionary<string, object?>
        {
            ["gl"] = context.Description,
            ["renderer"] = renderer,
            ["loadAverageStart"] = File.ReadAllText("/proc/loadavg").Trim(),
            ["processorCount"] = Environment.ProcessorCount,
            ["lpNumThreads"] = Environment.GetEnvironmentVariable("LP_NUM_THREADS"),
            ["ompWaitPolicy"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
            ["rooflinePeakGflops"] = peak,
            ["rooflineBandwidthGBs"] = bandwidth,
        };
        Console.WriteLine($"{context.Description}; load average {results["loadAverageStart"]}; {Environment.ProcessorCount} cores; LP_NUM_THREADS={results["lpNumThreads"]}");

        TextureGenerator? torchFp32 = null, torchAuto = null;
        LoadedModel? loaded = null;
        if (torchToo)
        {
            using var stream = TextureGenerator.OpenDefaultModel();
            loaded = ModelFile.Load(stream, "default model", CPU);
            torchFp32 = new TextureGenerator(loaded, ownsModel: false, "default", NetworkPrecision.Float32);
            torchAuto = new TextureGenerator(loaded, ownsModel: false, "default", NetworkPrecision.Auto);
        }
        var rows = new List<Dictionary<string, object?>>();
        try
        {
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
                    void Torch() => torchFp32!.Generate(Next(), destination);
                    void TorchAuto() => torchAuto!.Generate(Next(), destination);
                    for (int i = 0; i < 3; i++) { Gl(); if (torchToo) { Torch(); TorchAuto(); } } // warm-up, thread tuning
                    var glRates = new List<double>();
                    var torchRates = new List<double>();
                    var autoRates = new List<double>();
                    for (int r = 0; r < rounds; r++)
                    {
                        glRates.Add(Rate(Gl, seconds));
                        if (torchToo) { torchRates.Add(Rate(Torch, seconds)); autoRates.Add(Rate(TorchAuto, seconds)); }
                    }
                    gl.DeleteTexture(texture);
                    var (flops, bytes) = generator.Cost(size, size, steps);
                    double g = Median(glRates), t = torchToo ? Median(torchRates) : double.NaN, a = torchToo ? Median(autoRates) : double.NaN;
                    double rooflineSeconds = Math.Max(flops / (peak * 1e9), bytes / (bandwidth * 1e9));
                    var row = new Dictionary<string, object?>
                    {
                        ["size"] = size,
                        ["steps"] = steps,
                        ["glTexturesPerSecond"] = Math.Round(g, 3),
                        ["libtorchFp32TexturesPerSecond"] = torchToo ? Math.Round(t, 3) : null,
                        ["libtorchDefaultTexturesPerSecond"] = torchToo ? Math.Round(a, 3) : null,
                        ["glOverLibtorchFp32"] = torchToo ? Math.Round(g / t, 3) : null,
                        ["gflopPerTexture"] = Math.Round(flops / 1e9, 4),
                        ["mbPerTexture"] = Math.Round(bytes / 1e6, 2),
                        ["arithmeticIntensity"] = Math.Round(flops / bytes, 2),
                        ["glGflops"] = Math.Round(flops * g / 1e9, 2),
                        ["libtorchFp32Gflops"] = torchToo ? Math.Round(flops * t / 1e9, 2) : null,
                        ["dispatchesPerTexture"] = steps * generator.DispatchesPerEvaluation + 2 + steps,
                        ["rooflineTexturesPerSecond"] = Math.Round(1 / rooflineSeconds, 1),
                        ["load"] = File.ReadAllText("/proc/loadavg").Trim(),
                    };
                    rows.Add(row);
                    Console.WriteLine($"{size}² {steps} step(s): GL {g:F2}/s ({flops * g / 1e9:F1} GFLOP/s)"
                        + (torchToo ? $", libtorch fp32 {t:F2}/s ({flops * t / 1e9:F1} GFLOP/s), libtorch {torchAuto!.Precision} {a:F2}/s, GL/libtorch fp32 {g / t:F2}" : "")
                        + $"; {flops / 1e9:F3} GFLOP, {bytes / 1e6:F1} MB per texture, {flops / bytes:F1} FLOP/B, roofline {1 / rooflineSeconds:F0}/s (load {row["load"]})");
                }
        }
        finally
        {
            torchFp32?.Dispose();
            torchAuto?.Dispose();
            loaded?.Dispose();
        }
        results["rows"] = rows;
        results["libtorchDefaultPrecision"] = torchAuto?.Precision.ToString();
        results["loadAverageEnd"] = File.ReadAllText("/proc/loadavg").Trim();
        File.WriteAllText(output, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"load average at end: {results["loadAverageEnd"]}; wrote {output}");
        return 0;
    }

    private static double Rate(Action frame, double seconds)
    {
        int n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || n < 2) { frame(); n++; }
        return n / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
