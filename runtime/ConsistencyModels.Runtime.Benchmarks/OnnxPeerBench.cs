using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Onnx;
using ConsistencyModels.Runtime.Onnx;
using static TorchSharp.torch;

using ConsistencyModels.Runtime.GlBench;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>
/// ONNX Runtime (CPU provider, the default model exported by cm export) beside the runtime's libtorch path
/// (TextureGenerator, compiled TorchScript) in one run: textures/s per size, step count and thread count, both with
/// the thread count fixed alike and without spin-waiting (libtorch: OMP_WAIT_POLICY=PASSIVE from the environment,
/// ORT: session.intra_op.allow_spinning = 0). Rounds alternate between the two so machine load hits both alike.
/// Both sides are the same ITextureSource contract (noise, slerp, 1–2 evaluations, clamp into a caller's buffer):
/// TextureGenerator (float32) and OnnxTextureSource.
/// <c>--onnx-peer [--sizes 64,128,256] [--threads 1,2] [--seconds S] [--rounds R] [--out F.json]</c>.
/// </summary>
internal static class OnnxPeerBench
{
    public static int Run(string[] args)
    {
        var sizes = (BenchArgs.Value(args, "--sizes") ?? "64,128,256").Split(',').Select(int.Parse).ToArray();
        var threadCounts = (BenchArgs.Value(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        double seconds = double.Parse(BenchArgs.Value(args, "--seconds") ?? "1.5", CultureInfo.InvariantCulture);
        int rounds = int.Parse(BenchArgs.Value(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        string output = BenchArgs.Value(args, "--out") ?? "onnx-peer.json";
        var results = new Dictionary<string, object?>
        {
            ["loadAverageStart"] = File.ReadAllText("/proc/loadavg").Trim(),
            ["processorCount"] = Environment.ProcessorCount,
            ["ompWaitPolicy"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
        };
        Console.WriteLine($"load average at start: {results["loadAverageStart"]}; {Environment.ProcessorCount} cores; OMP_WAIT_POLICY={results["ompWaitPolicy"]}");

        using var stream = TextureGenerator.OpenDefaultModel();
        using var loaded = ModelFile.Load(stream, "default model", CPU);
        var onnx = ModelExport.Build(loaded).Bytes;
        using var torchFp32 = new TextureGenerator(loaded, ownsModel: false, "default", NetworkPrecision.Float32);
        // The runtime's default precision (bf16 on CPUs with native bf16), beside float32: its own weight copies.
        using var torchAuto = new TextureGenerator(loaded, ownsModel: false, "default", NetworkPrecision.Auto);
        bool autoDiffers = torchAuto.Precision != NetworkPrecision.Float32;
        var rows = new List<Dictionary<string, object?>>();
        foreach (int threads in threadCounts)
        {
            using var ortSource = new OnnxTextureSource(onnx, "default", threads);
            torchFp32.Threads = threads;
            torchAuto.Threads = threads;
            foreach (int size in sizes)
                foreach (int steps in new[] { 1, 2 })
                {
                    var destination = new float[3 * size * size];
                    int frame = 0;
                    void Torch() => torchFp32.Generate(new TextureRequest(size, size, frame % 8, steps, 1, frame++ / 60.0), destination);
                    void TorchAuto() => torchAuto.Generate(new TextureRequest(size, size, frame % 8, steps, 1, frame++ / 60.0), destination);
                    void Ort() => ortSource.Generate(new TextureRequest(size, size, frame % 8, steps, 1, frame++ / 60.0), destination);
                    for (int i = 0; i < 3; i++) { Torch(); Ort(); if (autoDiffers) TorchAuto(); }
                    var torchRates = new List<double>();
                    var autoRates = new List<double>();
                    var ortRates = new List<double>();
                    for (int r = 0; r < rounds; r++)
                    {
                        torchRates.Add(BenchClock.Rate(Torch, seconds));
                        ortRates.Add(BenchClock.Rate(Ort, seconds));
                        if (autoDiffers) autoRates.Add(BenchClock.Rate(TorchAuto, seconds));
                    }
                    double t = BenchClock.Median(torchRates), o = BenchClock.Median(ortRates), au = autoDiffers ? BenchClock.Median(autoRates) : t;
                    var row = new Dictionary<string, object?>
                    {
                        ["size"] = size, ["steps"] = steps, ["threads"] = threads,
                        ["libtorchTexturesPerSecond"] = Math.Round(t, 2), ["onnxRuntimeTexturesPerSecond"] = Math.Round(o, 2),
                        ["libtorchDefaultPrecisionTexturesPerSecond"] = Math.Round(au, 2),
                        ["ortOverLibtorch"] = Math.Round(o / t, 3), ["ortOverLibtorchDefault"] = Math.Round(o / au, 3), ["load"] = File.ReadAllText("/proc/loadavg").Trim(),
                    };
                    rows.Add(row);
                    Console.WriteLine($"{size}² {steps} step(s), {threads} thread(s): libtorch fp32 {t:F1}/s, libtorch {torchAuto.Precision} {au:F1}/s, ONNX Runtime fp32 {o:F1}/s, ORT/libtorch fp32 {o / t:F2}, ORT/libtorch default {o / au:F2} (load {row["load"]})");
                }
        }
        results["rows"] = rows;
        results["loadAverageEnd"] = File.ReadAllText("/proc/loadavg").Trim();
        results["libtorchDefaultPrecision"] = torchAuto.Precision.ToString();
        File.WriteAllText(output, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"load average at end: {results["loadAverageEnd"]}; wrote {output}");
        return 0;
    }
}
