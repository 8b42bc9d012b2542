using System.Globalization;

namespace MpiTestHost;

/// <summary>Command line of the test host (all options are --name value, except flags).</summary>
public sealed class HostOptions
{
    public int Steps { get; private set; } = 5;
    public int Batch { get; private set; } = 4;
    public int Shards { get; private set; }
    public string? ResumePath { get; private set; }
    public long Seed { get; private set; } = 1234;
    public double LearningRate { get; private set; } = 0.05;
    public string? OutPath { get; private set; }
    public string? CheckpointPath { get; private set; }
    public int CrashRank { get; private set; } = -1;
    public int CrashStep { get; private set; } = -1;
    public string CrashMode { get; private set; } = "throw";
    public int NanRank { get; private set; } = -1;
    public int NanStep { get; private set; } = -1;
    public long BucketBytes { get; private set; } = ConsistencyModels.Distributed.GradientBucketPlan.DefaultBucketBytes;
    public bool? Mpi { get; private set; }
    public bool ReportMaps { get; private set; }
    public string? VerifyPath { get; private set; }
    public bool Bench { get; private set; }
    public double[] BenchSizesMb { get; private set; } = [0.1, 1, 4, 16, 64];
    public int BenchIterations { get; private set; } = 20;
    public int StepDelayMs { get; private set; }

    /// <summary>Parses the arguments; throws ArgumentException with the expected form on anything unknown.</summary>
    public static HostOptions Parse(string[] args)
    {
        var o = new HostOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} expects a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--steps": o.Steps = NextInt(); break;
                case "--batch": o.Batch = NextInt(); break;
                case "--shards": o.Shards = NextInt(); break;
                case "--resume": o.ResumePath = Next(); break;
                case "--seed": o.Seed = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--lr": o.LearningRate = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--out": o.OutPath = Next(); break;
                case "--checkpoint": o.CheckpointPath = Next(); break;
                case "--crash-rank": o.CrashRank = NextInt(); break;
                case "--crash-step": o.CrashStep = NextInt(); break;
                case "--crash-mode":
                    o.CrashMode = Next();
                    if (o.CrashMode is not ("throw" or "exit" or "kill"))
                        throw new ArgumentException($"--crash-mode must be throw, exit or kill, got '{o.CrashMode}'.");
                    break;
                case "--nan-rank": o.NanRank = NextInt(); break;
                case "--nan-step": o.NanStep = NextInt(); break;
                case "--bucket-bytes": o.BucketBytes = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--mpi": o.Mpi = true; break;
                case "--no-mpi": o.Mpi = false; break;
                case "--report-maps": o.ReportMaps = true; break;
                case "--verify": o.VerifyPath = Next(); break;
                case "--bench": o.Bench = true; break;
                case "--sizes-mb": o.BenchSizesMb = Next().Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--iters": o.BenchIterations = NextInt(); break;
                case "--step-delay-ms": o.StepDelayMs = NextInt(); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'.");
            }
        }
        if (o.Steps < 0 || o.Batch < 1 || o.Shards < 0) throw new ArgumentException("--steps >= 0, --batch >= 1 and --shards >= 0 are expected.");
        return o;
    }

    /// <summary>MPI when asked for, else when launched by Open MPI's mpirun (it sets OMPI_COMM_WORLD_SIZE).</summary>
    public bool UseMpi => Mpi ?? Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;
}
