namespace ConsistencyModels.Platform;

/// <summary>
/// The GC-stress mode: with <c>CM_GC_STRESS=1</c> a background thread loops
/// <c>GC.Collect(); GC.WaitForPendingFinalizers();</c> while the program works, so any finalizable native wrapper
/// (a TorchSharp <c>Scalar</c> or <c>Tensor</c>) that is unreachable while libtorch still reads it is freed at once
/// instead of once in a thousand runs. Every entry point (the <c>cm</c> tool, the viewer, the runtime's producer,
/// the test assemblies) calls <see cref="StartIfRequested"/>; the switch lives only here.
/// </summary>
public static class GcStress
{
    /// <summary>The environment variable that turns the mode on ("1" or "true").</summary>
    public const string VariableName = "CM_GC_STRESS";

    private static readonly object Gate = new();
    private static Thread? _thread;
    private static long _collections;

    /// <summary>True when <see cref="VariableName"/> asks for GC stress.</summary>
    public static bool IsRequested => IsOn(Environment.GetEnvironmentVariable(VariableName));

    /// <summary>True when the stress thread runs in this process.</summary>
    public static bool IsRunning => Volatile.Read(ref _thread) is not null;

    /// <summary>Forced collections (each followed by the finalizers) since the thread started.</summary>
    public static long Collections => Interlocked.Read(ref _collections);

    /// <summary>Whether an environment value turns the mode on: "1", "true", "yes" or "on" (any case).</summary>
    public static bool IsOn(string? value) =>
        value is not null && value.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    /// <summary>Starts the stress thread when the environment asks for it; true when it runs afterwards.</summary>
    public static bool StartIfRequested() => IsRequested && Start();

    /// <summary>
    /// Starts the stress thread (once per process; later calls do nothing). It is a background thread, so it never
    /// keeps the process alive; it runs until the process ends.
    /// </summary>
    public static bool Start()
    {
        lock (Gate)
        {
            if (_thread is not null) return true;
            var thread = new Thread(Loop) { IsBackground = true, Name = "cm GC stress" };
            thread.Start();
            _thread = thread;
            return true;
        }
    }

    private static void Loop()
    {
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Interlocked.Increment(ref _collections);
        }
    }
}
