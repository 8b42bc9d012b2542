using ConsistencyModels.Runtime.Gl;
using ConsistencyModels.Runtime.GlBench;

// The GL backend alone (no libtorch): see GlBench for the arguments; tools/gl-bench.sh runs it.
try
{
    return GlBench.Run(args, []);
}
catch (GlUnavailableException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
