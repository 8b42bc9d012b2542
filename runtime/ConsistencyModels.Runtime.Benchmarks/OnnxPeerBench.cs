using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Onnx;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>
/// ONNX Runtime (CPU provider, the default model exported by cm export) beside the runtime's libtorch path
/// (TextureGenerator, compiled TorchScript) in one run: textures/s per size, step count and thread count, both with
/// the thread count fixed alike and without spin-waiting (libtorch: OMP_WAIT_POLICY=PASSIVE from the environment,
/// ORT: session.intra_op.allow_spinning = 0). Rounds alternate between the two so machine load hits both alike.
/// Each ORT frame is the whole plan (1 or 2 Run calls, the re-noise add and the clamp into a caller's buffer).
/// <c>--onnx-peer [--sizes 64,128,256] [--threads 1,2] [--seconds S] [--rounds R] [--out F.json]</c>.
/// </summary>
internal static class OnnxPeerBench
{
    public static int Run(string[] args)
    {
        var sizes = (QuickBench.Arg(args, "--sizes") ?? "64,128,256").Split(',').Select(int.Parse).ToArray();
        var threadCounts = (QuickBench.Arg(args, "--threads") ?? "1,2").Split(',').Select(int.Parse).ToArray();
        double seconds = double.Parse(QuickBench.Arg(args, "--seconds") ?? "1.5", CultureInfo.InvariantCulture);
        int rounds = int.Parse(QuickBench.Arg(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        string output = QuickBench.Arg(args, "--out") ?? "onnx-peer.json";
        var results = new Dictionary<string, object?>
        {
            ["loadAverageStart"] = File.ReadAllText("/proc/loadavg").Trim(),
            ["processorCount"] = Environment.ProcessorCount,
            ["ompWaitPolicy"] = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
        };
        Console.WriteLine($"load average at start: {results["loadAverageStart"]}; {Environment.ProcessorCount} cores; OMP_WAIT_POLICY={results["ompWaitPolicy"]}");

        using var stream = typeof(TextureGenerator).Assembly.GetManifestResourceStream(TextureGenerator.DefaultModelResource)
            ?? throw new InvalidOperationException("this build has no default model");
        using var loaded = ModelFile.Load(stream, "default model", CPU);
        var onnx = ModelExport.Build(loaded).Bytes;
        var plan = OnnxSamplingPlan.For(loaded.Metadata);
        using var torchFp32 = new TextureGenerator(loaded, ownsModel: false, "default", NetworkPrecision.Float32);
        var rows = new List<Dictionary<string, object?>>();
        foreach (int threads in threadCounts)
        {
            using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            using var session = new InferenceSession(onnx, options);
            torchFp32.Threads = threads;
            foreach (int size in sizes)
                foreach (int steps in new[] { 1, 2 })
                {
                    using var ort = new OrtFrame(session, plan, size, steps);
                    var destination = new float[3 * size * size];
                    int frame = 0;
                    void Torch() => torchFp32.Generate(new TextureRequest(size, size, frame % 8, steps, 1, frame++ / 60.0), destination);
                    void Ort() => ort.Generate(frame++ % 8, destination);
                    for (int i = 0; i < 3; i++) { Torch(); Ort(); }
                    var torchRates = new List<double>();
                    var ortRates = new List<double>();
                    for (int r = 0; r < rounds; r++)
                    {
                        torchRates.Add(Rate(Torch, seconds));
                        ortRates.Add(Rate(Ort, seconds));
                    }
                    double t = Median(torchRates), o = Median(ortRates);
                    var row = new Dictionary<string, object?>
                    {
                        ["size"] = size, ["steps"] = steps, ["threads"] = threads,
                        ["libtorchTexturesPerSecond"] = Math.Round(t, 2), ["onnxRuntimeTexturesPerSecond"] = Math.Round(o, 2),
                        ["ortOverLibtorch"] = Math.Round(o / t, 3), ["load"] = File.ReadAllText("/proc/loadavg").Trim(),
                    };
                    rows.Add(row);
                    Console.WriteLine($"{size}² {steps} step(s), {threads} thread(s): libtorch {t:F1}/s, ONNX Runtime {o:F1}/s, ratio ORT/libtorch {o / t:F2} (load {row["load"]})");
                }
        }
        results["rows"] = rows;
        results["loadAverageEnd"] = File.ReadAllText("/proc/loadavg").Trim();
        results["libtorchPrecision"] = torchFp32.Precision.ToString();
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

    /// <summary>One texture through ONNX Runtime with preallocated inputs and outputs (noise drawn once: only the network is timed).</summary>
    private sealed class OrtFrame : IDisposable
    {
        private readonly InferenceSession session;
        private readonly OnnxSamplingPlan.StepPlan plan;
        private readonly float[] x, z2, y, sigma = new float[1];
        private readonly long[] label = new long[1];
        private readonly OrtValue xValue, sigmaValue, labelValue, yValue;
        private readonly RunOptions run = new();
        private static readonly string[] Inputs = [OnnxExporter.InputX, OnnxExporter.InputSigma, OnnxExporter.InputClass];
        private static readonly string[] Outputs = [OnnxExporter.OutputName];
        private readonly float[] start;

        public OrtFrame(InferenceSession session, OnnxSamplingPlan plan, int size, int steps)
        {
            this.session = session;
            this.plan = steps == 1 ? plan.OneStep : plan.TwoSteps;
            int n = 3 * size * size;
            var random = new Random(1);
            start = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * (float)plan.NoiseScale).ToArray();
            z2 = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            x = new float[n];
            y = new float[n];
            long[] shape = [1, 3, size, size];
            xValue = OrtValue.CreateTensorValueFromMemory(x, shape);
            yValue = OrtValue.CreateTensorValueFromMemory(y, shape);
            sigmaValue = OrtValue.CreateTensorValueFromMemory(sigma, [1]);
            labelValue = OrtValue.CreateTensorValueFromMemory(label, [1]);
        }

        public void Generate(int classIndex, Span<float> destination)
        {
            label[0] = classIndex;
            start.CopyTo(x, 0);
            for (int i = 0; i < plan.Sigmas.Length; i++)
            {
                if (i > 0)
                {
                    float renoise = (float)plan.Renoise;
                    for (int j = 0; j < x.Length; j++) x[j] = y[j] + renoise * z2[j];
                }
                sigma[0] = (float)plan.Sigmas[i];
                session.Run(run, Inputs, [xValue, sigmaValue, labelValue], Outputs, [yValue]);
            }
            for (int j = 0; j < y.Length; j++) destination[j] = Math.Clamp(y[j], -1f, 1f);
        }

        public void Dispose()
        {
            xValue.Dispose(); yValue.Dispose(); sigmaValue.Dispose(); labelValue.Dispose(); run.Dispose();
        }
    }
}
