using BenchmarkDotNet.Running;
using ConsistencyModels.Runtime.Benchmarks;

// Default: the quick runtime budget run (QuickBench). --bdn [BenchmarkDotNet args]: the BenchmarkDotNet suites.
// --forward-loop SECONDS [--size N] [--precision fp32|bf16]: frames only, for a profiler (tools/perf-overhead.sh).
// --batch N [--size S] [--steps K] [--precision fp32|bf16|auto]: one batch of N textures against N single calls.
if (args.Length > 0 && args[0] == "--bdn")
{
    // In process by default: BenchmarkDotNet's generated out-of-process project does not get the build's libtorch
    // patch (build/package/ConsistencyModels.targets), so its LibTorchSharp fails to load on Debian 12.
    var bdnArgs = args[1..];
    if (!bdnArgs.Any(a => a is "--inProcess" or "-i")) bdnArgs = [.. bdnArgs, "--inProcess"];
    BenchmarkSwitcher.FromAssembly(typeof(GenerateBenchmarks).Assembly).Run(bdnArgs);
    return 0;
}
if (args.Length > 0 && args[0] == "--batch")
    return BatchBench.Run(args);
if (args.Length > 1 && args[0] == "--forward-loop")
    return ForwardLoop.Run(args, double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
// --onnx-peer: ONNX Runtime (CPU) beside the libtorch path on the default model (docs/RESULTS.md).
if (args.Length > 0 && args[0] == "--onnx-peer")
    return OnnxPeerBench.Run(args[1..]);
// --gl: the GL compute backend beside the libtorch path, FLOPs per texture and a roofline (docs/RESULTS.md, tools/gl-bench.sh).
if (args.Length > 0 && args[0] == "--gl")
    return TorchGlComparison.Run(args[1..]);
return QuickBench.Run(args);
