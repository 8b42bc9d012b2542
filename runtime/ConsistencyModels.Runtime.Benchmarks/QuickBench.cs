using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Runtime.Gl;
using ConsistencyModels.Runtime.GlBench;
using Silk.NET.OpenGL;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Benchmarks;

/// <summary>
/// The runtime budget in one quick run (minutes, not BenchmarkDotNet's hour): managed allocation per frame split into
/// the runtime's own stages, the network forward and the GL upload; native memory over many frames; the runtime's
/// share of a frame; textures/s per size and step count. Ratios come from the same run, so shared-CPU load
/// affects numerator and denominator alike.
/// </summary>
internal static class QuickBench
{
    private static readonly Dictionary<string, object?> Results = new();
    private static readonly Dictionary<TextureGenerator, string> ModelNames = new(ReferenceEqualityComparer.Instance);

    public static int Run(string[] args)
    {
        int memoryFrames = IntArg(args, "--memory-frames", 10_000);
        double seconds = double.Parse(BenchArgs.Value(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        var sizes = (BenchArgs.Value(args, "--sizes") ?? "64,128,256,512").Split(',').Select(int.Parse).ToArray();
        string output = BenchArgs.Value(args, "--out") ?? "runtime-bench.json";
        bool skipMemory = args.Contains("--skip-memory"), skipThroughput = args.Contains("--skip-throughput");

        if (BenchArgs.Value(args, "--threads") is { } threads) set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));
        Results["loadAverageStart"] = LoadAverage();
        Results["torchThreads"] = get_num_threads();
        Results["processorCount"] = Environment.ProcessorCount;
        Console.WriteLine($"load average at start: {Results["loadAverageStart"]}; torch threads {get_num_threads()}; {Environment.ProcessorCount} cores");

        GlContext? gl = null;
        if (GlContext.TryCreateHeadless(out var context, out var reason)) gl = context;
        else Console.WriteLine($"no headless GL ({reason}): upload not measured");
        Results["gl"] = gl?.Description;

        var small = BenchModels.Save(UNetConfig.Small, "small");
        var tiny = BenchModels.Save(UNetConfig.Tiny, "tiny");
        // The embedded default model when this build has it (what the runtime targets name), else the Small
        // architecture with random weights (speed does not depend on the weights).
        bool useDefault = TextureGenerator.HasDefaultModel && !args.Contains("--random-weights");
        TextureGenerator Model(NetworkPrecision precision, bool compile) =>
            useDefault ? TextureGenerator.LoadDefault(CPU, precision, compile) : new TextureGenerator(small, CPU, precision, compile);
        var precisions = (BenchArgs.Value(args, "--precision") ?? "fp32,bf16").Split(',').Select(ParsePrecision).ToArray();
        // module: op by op through TorchSharp; compiled: one TorchScript call per evaluation (the default).
        var forwards = (BenchArgs.Value(args, "--forward") ?? "compiled,module").Split(',').Select(f => f switch
        {
            "compiled" => true,
            "module" => false,
            _ => throw new ArgumentException($"--forward: expected compiled and/or module, got '{f}'"),
        }).ToArray();
        Results["model"] = useDefault ? "default (embedded)" : "small, random weights";
        Results["nativeBFloat16"] = NetworkPrecisions.CpuHasNativeBFloat16;
        Console.WriteLine($"model: {Results["model"]}; native bf16: {NetworkPrecisions.CpuHasNativeBFloat16}");
        // --models A,B: the same measurements for each model file (e.g. the default model v1 against a candidate v2),
        // taking turns in every round, so the ratio between them comes from one run.
        var modelFiles = BenchArgs.Value(args, "--models")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (modelFiles is not null) Results["model"] = string.Join(", ", modelFiles);
        var generators = modelFiles is null
            ? forwards.SelectMany(compile => precisions.Select(p => Model(p, compile))).ToList()
            : modelFiles.SelectMany(file => forwards.SelectMany(compile => precisions.Select(p =>
            {
                var generator = new TextureGenerator(file, CPU, p, compile);
                ModelNames[generator] = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) + "/" + Path.GetFileName(file);
                return generator;
            }))).ToList();
        // --fixed-threads: the default generator (Auto precision, compiled) with the thread count fixed at libtorch's,
        // beside the per-size tuned ones, to measure what tuning gains in the same run.
        if (args.Contains("--fixed-threads"))
        {
            var fixedThreads = Model(NetworkPrecision.Auto, compile: true);
            fixedThreads.Threads = get_num_threads();
            generators.Add(fixedThreads);
        }
        try
        {
            foreach (var generator in generators)
            {
                string tag = Tag(generator);
                Allocation(generator, gl, 64, tag);
                Breakdown(generator, gl, 128, 1, 30, tag);
                Breakdown(generator, gl, 64, 1, 50, tag);
                Breakdown(generator, gl, 128, 2, 20, tag);
            }
            if (!skipMemory)
            {
                // The soak runs what a game runs (the benchmark model, Auto precision, compiled) unless --memory-model
                // tiny asks for the Tiny network (with attention) through the op-by-op module path.
                bool tinySoak = BenchArgs.Value(args, "--memory-model") == "tiny";
                using var generator = tinySoak ? new TextureGenerator(tiny, CPU, compile: false) : Model(NetworkPrecision.Auto, compile: true);
                NativeMemory(generator, memoryFrames, tinySoak ? 32 : 64, tinySoak ? "tiny" : "model");
            }
            if (!skipThroughput)
                Throughput(generators.ToArray(), sizes, seconds);
        }
        finally
        {
            foreach (var generator in generators) generator.Dispose();
        }
        gl?.Dispose();

        Results["loadAverageEnd"] = LoadAverage();
        Console.WriteLine($"load average at end: {Results["loadAverageEnd"]}");
        File.WriteAllText(output, JsonSerializer.Serialize(Results, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {output}");
        return 0;
    }

    private static TextureRequest Animated(int size, int steps, int i) => new(size, size, i % 8, steps, 1, i / 60.0);

    // (a) Managed bytes per frame: whole Generate, the runtime's own stages, the forward alone, the GL upload.
    private static void Allocation(TextureGenerator generator, GlContext? gl, int size, string tag)
    {
        var destination = new float[3 * size * size];
        using var output = rand(1, 3, size, size).Times(2).Minus(1);
        using var sink = gl is null ? null : new GlTextureSink(gl.GL, size, size);
        const int warm = 5, frames = 20;
        long Measure(Action<int> frame)
        {
            for (int i = 0; i < warm; i++) frame(i);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = warm; i < warm + frames; i++) frame(i);
            return (GC.GetAllocatedBytesForCurrentThread() - before) / frames;
        }
        var result = new Dictionary<string, object?>();
        foreach (int steps in new[] { 1, 2 })
        {
            result[$"generate_{steps}step"] = Measure(i => generator.Generate(Animated(size, steps, i), destination));
            // The compiled forward writes into the generator's own buffer; the module's needs a scope and no_grad.
            result[$"forwardOnly_{steps}step"] = generator.IsCompiled
                ? Measure(i => generator.Denoise(steps, i % 8))
                : Measure(i =>
                {
                    using var scope = NewDisposeScope();
                    using var noGrad = no_grad();
                    generator.Denoise(steps, i % 8);
                });
        }
        result["runtimeStages_noiseSlerpCopy"] = Measure(i =>
        {
            generator.PrepareNoise(Animated(size, 2, i));
            generator.CopyOut(output, destination);
        });
        if (sink is not null)
            result["sinkUpload"] = Measure(i => { sink.Upload(destination, size, size); gl!.GL.Finish(); });
        Results[$"managedBytesPerFrame_{size}_{tag}"] = result;
        Console.WriteLine($"managed bytes/frame at {size}² {tag}: " + string.Join(", ", result.Select(kv => $"{kv.Key} {kv.Value}")));
    }

    // (c) Where a frame's time goes, per stage, measured in the same loop.
    private static void Breakdown(TextureGenerator generator, GlContext? gl, int size, int steps, int frames, string tag)
    {
        var destination = new float[3 * size * size];
        using var sink = gl is null ? null : new GlTextureSink(gl.GL, size, size);
        double noise = 0, forward = 0, copy = 0, upload = 0;
        for (int i = -12; i < frames; i++) // 12 warm-up frames: the thread tuning of the size
        {
            var request = Animated(size, steps, i + 12);
            long t0 = Stopwatch.GetTimestamp();
            generator.PrepareNoise(request);
            long t1 = Stopwatch.GetTimestamp();
            long t2, t3;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var x = generator.Denoise(steps, request.ClassIndex);
                t2 = Stopwatch.GetTimestamp();
                generator.CopyOut(x, destination);
                t3 = Stopwatch.GetTimestamp();
            }
            long t4 = Stopwatch.GetTimestamp();
            if (sink is not null) { sink.Upload(destination, size, size); gl!.GL.Finish(); }
            long t5 = Stopwatch.GetTimestamp();
            if (i < 0) continue;
            noise += Ms(t0, t1);
            forward += Ms(t1, t2) + Ms(t3, t4); // the scope's disposal frees the forward's temporaries
            copy += Ms(t2, t3);
            upload += Ms(t4, t5);
        }
        double total = noise + forward + copy + upload;
        var result = new Dictionary<string, object?>
        {
            ["frames"] = frames,
            ["msNoise"] = Math.Round(noise / frames, 4),
            ["msForward"] = Math.Round(forward / frames, 3),
            ["msCopyOut"] = Math.Round(copy / frames, 4),
            ["msUpload"] = sink is null ? null : Math.Round(upload / frames, 4),
            ["runtimeSharePercent"] = Math.Round(100 * (noise + copy + upload) / total, 2),
        };
        Results[$"breakdown_{size}_{steps}step_{tag}"] = result;
        Console.WriteLine($"breakdown {size}² {steps} step {tag}: noise {result["msNoise"]} ms, forward {result["msForward"]} ms, copy-out {result["msCopyOut"]} ms, upload {result["msUpload"]} ms → runtime share {result["runtimeSharePercent"]} %");
    }

    private static double Ms(long a, long b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds;

    // (b) Native memory over many frames: RSS, managed heap and live tensor count at checkpoints.
    private static void NativeMemory(TextureGenerator generator, int frames, int size, string name)
    {
        var destination = new float[3 * size * size];
        var checkpoints = new List<Dictionary<string, object?>>();
        var process = Process.GetCurrentProcess();
        var clock = Stopwatch.StartNew();
        // Managed bytes and gen-0 collections inside Generate from frame 101 on (the checkpoints' own bookkeeping
        // below allocates and is not counted).
        long steadyBytes = 0;
        int steadyCollections = 0;
        for (int i = 1; i <= frames; i++)
        {
            long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
            int collectionsBefore = GC.CollectionCount(0);
            generator.Generate(Animated(size, 1 + i % 2, i), destination);
            if (i > 100)
            {
                steadyBytes += GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
                steadyCollections += GC.CollectionCount(0) - collectionsBefore;
            }
            if (i == 100 || i == 1000 || i % 2500 == 0 || i == frames)
            {
                process.Refresh();
                var point = new Dictionary<string, object?>
                {
                    ["frame"] = i,
                    ["rssMiB"] = Math.Round(process.WorkingSet64 / 1048576.0, 1),
                    ["managedHeapMiB"] = Math.Round(GC.GetTotalMemory(false) / 1048576.0, 2),
                    ["liveTensors"] = Tensor.TotalCount,
                    ["gen0Collections"] = GC.CollectionCount(0),
                    ["generateManagedBytesSinceFrame100"] = steadyBytes,
                    ["generateGen0CollectionsSinceFrame100"] = steadyCollections,
                    ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
                };
                checkpoints.Add(point);
                Console.WriteLine("memory: " + string.Join(", ", point.Select(kv => $"{kv.Key} {kv.Value}")));
            }
        }
        Results[$"nativeMemory_{name}_{size}"] = checkpoints;
        Results[$"nativeMemory_{name}_{size}_generator"] = generator.Description;
    }

    // (d) Textures per second per size, step count and variant. The variants take turns in short rounds and each
    // reports its median round, so drifting machine speed (shared hosts) hits them alike.
    private static void Throughput(TextureGenerator[] generators, int[] sizes, double seconds, int rounds = 5)
    {
        var result = new List<Dictionary<string, object?>>();
        foreach (int size in sizes)
            foreach (int steps in new[] { 1, 2 })
            {
                var destination = new float[3 * size * size];
                var perRound = generators.Select(_ => new List<double>()).ToArray();
                var frameCounts = new int[generators.Length];
                // Warm-up covers the thread tuning of a new size (8 frames with 2 cores).
                foreach (var generator in generators)
                    for (int i = 0; i < 12; i++) generator.Generate(Animated(size, steps, i), destination);
                for (int round = 0; round < rounds; round++)
                    for (int g = 0; g < generators.Length; g++)
                    {
                        int frames = 0;
                        var clock = Stopwatch.StartNew();
                        while (clock.Elapsed.TotalSeconds < seconds / rounds || frames < 2)
                            generators[g].Generate(Animated(size, steps, 2 + frames++), destination);
                        perRound[g].Add(frames / clock.Elapsed.TotalSeconds);
                        frameCounts[g] += frames;
                    }
                for (int g = 0; g < generators.Length; g++)
                {
                    var sorted = perRound[g].Order().ToArray();
                    double median = sorted[sorted.Length / 2];
                    var generator = generators[g];
                    result.Add(new()
                    {
                        ["model"] = ModelNames.GetValueOrDefault(generator),
                        ["size"] = size, ["steps"] = steps, ["precision"] = NetworkPrecisions.ShortName(generator.Precision),
                        ["forward"] = generator.IsCompiled ? "compiled" : "module", ["frames"] = frameCounts[g], ["rounds"] = rounds,
                        ["threads"] = generator.Threads ?? generator.TunedThreads(size, size), ["tuned"] = generator.Threads is null,
                        ["texturesPerSecond"] = Math.Round(median, 2), ["msPerTexture"] = Math.Round(1000 / median, 2),
                        ["minRound"] = Math.Round(sorted[0], 2), ["maxRound"] = Math.Round(sorted[^1], 2), ["load"] = LoadAverage(),
                    });
                    Console.WriteLine($"throughput {size}² {steps} step {Tag(generator)}: {median:F2} textures/s median of {rounds} rounds "
                        + $"({1000 / median:F1} ms; rounds {sorted[0]:F1}–{sorted[^1]:F1}), load {LoadAverage()}");
                }
            }
        Results["throughput"] = result;
    }

    private static string Tag(TextureGenerator g) =>
        $"{(ModelNames.TryGetValue(g, out var model) ? model + " " : "")}{NetworkPrecisions.ShortName(g.Precision)}-{(g.IsCompiled ? "compiled" : "module")}{(g.Threads is { } n ? $"-fixed{n}threads" : "")}";

    private static NetworkPrecision ParsePrecision(string name) => NetworkPrecisions.TryParse(name, out var precision)
        ? precision
        : throw new ArgumentException($"--precision: expected a comma-separated list of fp32, bf16, auto; got '{name}'");

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int IntArg(string[] args, string name, int fallback) => BenchArgs.Value(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
