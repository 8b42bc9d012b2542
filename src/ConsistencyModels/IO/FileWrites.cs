namespace ConsistencyModels.IO;

/// <summary>
/// Counts the atomic file writes in progress (models, checkpoints), so code that ends the process on a signal can
/// let a checkpoint that is being written finish first. Killing during a write is safe too (the temporary file is
/// never renamed into place), but it loses the checkpoint being written.
/// </summary>
public static class FileWrites
{
    private static int inProgress;

    /// <summary>Atomic writes running now, in any thread.</summary>
    public static int InProgress => Volatile.Read(ref inProgress);

    /// <summary>Waits until no atomic write is running or <paramref name="timeout"/> has passed; true when idle.</summary>
    /// <param name="timeout">The longest wait.</param>
    public static bool WaitUntilIdle(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (InProgress > 0)
        {
            if (clock.Elapsed >= timeout) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    internal static void Begin() => Interlocked.Increment(ref inProgress);

    internal static void End() => Interlocked.Decrement(ref inProgress);
}
