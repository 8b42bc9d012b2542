namespace ConsistencyModels.Platform;

/// <summary>
/// The GC-stress mode: with <c>CM_GC_STRESS=1</c> a background thread loops
/// <c>GC.Collect(); GC.WaitForPendingFinalizers();</c> while the program works, so any finalizable native wrapper
/// (a TorchSharp <c>Scalar</c> or <c>Tensor</c>) that is unreachable while libtorch still reads it is freed at once
/// instead of once in a thousand runs. Every entry point (the <c>cm</c> tool, the viewer, the runtime's
/// <c>TextureGenerator</c>, the test assemblies) calls <see cref="StartIfRequested"/>; the switch lives only here.
/// </summary>
public static class GcStress
{
    /// <summary>The environment variable that turns the mode on ("1" or "true").</summary>
    public const string VariableName = "CM_GC_STRESS";

    private static readonly object Gate = new();
    private static Scope? _processWide;
    private static long _collections;

    /// <summary>True when <see cref="VariableName"/> asks for GC stress.</summary>
    public static bool IsRequested => IsOn(Environment.GetEnvironmentVariable(VariableName));

    /// <summary>True when the process-wide stress thread runs.</summary>
    public static bool IsRunning => Volatile.Read(ref _processWide) is not null;

    /// <summary>Forced collections (each followed by the finalizers) by every stress thread so far.</summary>
    public static long Collections => Interlocked.Read(ref _collections);

    /// <summary>Whether an environment value turns the mode on: "1", "true", "yes" or "on" (any case).</summary>
    public static bool IsOn(string? value) =>
        value is not null && value.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    /// <summary>
    /// Starts the process-wide stress thread when the environment asks for it (once; later calls do nothing) and
    /// says so on stderr. True when it runs afterwards. The thread is a background thread: it never keeps the
    /// process alive.
    /// </summary>
    public static bool StartIfRequested()
    {
        if (!IsRequested) return false;
        lock (Gate)
        {
            if (_processWide is not null) return true;
            _processWide = new Scope();
        }
        Console.Error.WriteLine($"{VariableName}: forcing collections and finalizers on a background thread");
        return true;
    }

    /// <summary>Runs a stress thread until the returned handle is disposed (for tests that need it on demand).</summary>
    public static IDisposable Begin() => new Scope();

    private sealed class Scope : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public Scope()
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "cm GC stress" };
            _thread.Start();
        }

        private void Loop()
        {
            while (!_stop)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref _collections);
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
