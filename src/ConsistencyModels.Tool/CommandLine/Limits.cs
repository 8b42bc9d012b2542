namespace ConsistencyModels.Tool.CommandLine;

/// <summary>
/// Upper bounds of counts whose bad value could exhaust the machine (threads, arrays sized by the value) or never
/// end; each is far above any useful setting. Sizes are bounded by memory instead (<see cref="Commands.MemoryBudget"/>).
/// </summary>
internal static class Limits
{
    /// <summary>libtorch intra-op threads (<c>bench --threads</c>): more than cores only slows it down.</summary>
    public const int Threads = 256;

    /// <summary>Training crops or bench textures per step (<c>--batch</c>).</summary>
    public const int Batch = 65_536;

    /// <summary>Sampling steps (<c>--steps</c>): each needs a noise level array entry and network calls.</summary>
    public const int SamplingSteps = 10_000;

    /// <summary>Discretization points (<c>distill --n</c>; ict's default is 1280).</summary>
    public const int GridPoints = 100_000;

    /// <summary>Rectified noise–sample pairs held in memory (<c>--pairs</c>).</summary>
    public const int Pairs = 10_000_000;

    /// <summary>Batch shards per step (<c>--shards</c>), each a separate forward and backward pass.</summary>
    public const int Shards = 4096;

    /// <summary>Bench frames (timed or warm-up), whose timings are kept.</summary>
    public const int Frames = 100_000_000;
}
