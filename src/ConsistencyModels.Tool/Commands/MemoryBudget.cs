using System.Globalization;
using ConsistencyModels.Networks;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// A check before allocating, where memory is predictable: a lower bound on what the network needs for an image
/// size and batch (<see cref="UNetMemory"/>), compared with the machine's memory. A size that cannot fit is refused
/// with one line saying how much it would need and which size would fit (exit 2), instead of a native
/// out-of-memory failure minutes later.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The memory this process may use: physical memory, or the container's limit.</summary>
    public static long TotalBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Bytes as "12.3 GiB" (or MiB / KiB / B).</summary>
    public static string Format(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1)
        {
            bytes /= 1024;
            u++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{bytes:0.#} {units[u]}");
    }

    /// <summary>
    /// Throws a one-line usage <see cref="CmException"/> when <paramref name="batch"/> images of
    /// <paramref name="size"/>² per network call (and <paramref name="heldImages"/> RGB float images of that size kept
    /// at once, e.g. all samples of a grid) certainly do not fit in memory: the lower bound of
    /// <see cref="UNetMemory.LowerBoundBytes"/> exceeds <see cref="TotalBytes"/>. The message gives both amounts
    /// and the largest size that would fit in half the memory.
    /// </summary>
    /// <param name="option">The option that gave the size, e.g. <c>--size</c>.</param>
    /// <param name="size">Image height and width in pixels.</param>
    /// <param name="batch">Images per network call.</param>
    /// <param name="config">The network.</param>
    /// <param name="heldImages">Images of size² kept besides the network call.</param>
    public static void Check(string option, int size, int batch, UNetConfig config, int heldImages = 0) =>
        Check(option, size, batch, config, heldImages, TotalBytes);

    /// <summary><see cref="Check(string, int, int, UNetConfig, int)"/> against a given memory size (tests).</summary>
    internal static void Check(string option, int size, int batch, UNetConfig config, int heldImages, long totalBytes)
    {
        double Need(long s) => UNetMemory.LowerBoundBytes(config, batch, s, s) + 3.0 * sizeof(float) * s * s * heldImages;
        double need = Need(size);
        if (need <= totalBytes) return;
        int f = config.DownsamplingFactor;
        long fit = 0;
        for (long s = f; s < size && Need(s) <= totalBytes / 2.0; s += f) fit = s;
        double attention = UNetMemory.AttentionBytes(config, batch, size, size);
        string why = attention > need / 2
            ? $"self-attention alone needs {Format(attention)} (B·heads·(HW)² floats for a batch of {batch})"
            : $"{batch} image(s) of {size}² need at least {Format(need)}";
        string suggestion = fit > 0 ? $"try {option} {fit} or smaller" : $"even {option} {f} does not fit; use a smaller batch";
        throw new CmException($"{option} {size}: {why}, more than this machine's {Format(totalBytes)} of memory; {suggestion}");
    }
}
