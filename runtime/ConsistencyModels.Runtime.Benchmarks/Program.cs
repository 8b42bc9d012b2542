using BenchmarkDotNet.Running;
using ConsistencyModels.Runtime.Benchmarks;

// Default: the quick runtime budget run (QuickBench). --bdn [BenchmarkDotNet args]: the BenchmarkDotNet suites.
if (args.Length > 0 && args[0] == "--bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(GenerateBenchmarks).Assembly).Run(args[1..]);
    return 0;
}
return QuickBench.Run(args);
