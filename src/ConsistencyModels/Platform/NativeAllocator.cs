using System.Runtime.InteropServices;

namespace ConsistencyModels.Platform;

/// <summary>
/// Keeps freed libtorch buffers in the C heap instead of returning them to the kernel. glibc hands blocks above its
/// mmap threshold straight back with munmap (and trims the heap top), so a network that frees and re-allocates the
/// same activations every frame pays page faults and page clearing each time: measured 13.7 % of a 128² frame's CPU
/// time with the compiled forward (docs/RESULTS.md, tools/perf-overhead.sh), 0.8 % with this tuning. The setting is
/// process-wide: the heap keeps up to <see cref="TrimThresholdBytes"/> of free memory for reuse.
/// </summary>
public static partial class NativeAllocator
{
    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD

    /// <summary>Blocks up to this size come from the heap (glibc's largest allowed threshold on 64-bit: 32 MiB).</summary>
    public const int MmapThresholdBytes = 32 << 20;

    /// <summary>Free memory at the top of the heap kept before trimming.</summary>
    public const int TrimThresholdBytes = 256 << 20;

    private static readonly Lazy<bool> Applied = new(Apply);

    /// <summary>Applies the tuning once per process; true when glibc accepted it (false elsewhere: musl, macOS, Windows).</summary>
    public static bool KeepFreedBuffers() => Applied.Value;

    private static bool Apply()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Mallopt(MallocMmapThreshold, MmapThresholdBytes) == 1 & Mallopt(MallocTrimThreshold, TrimThresholdBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
