using Microsoft.Win32.SafeHandles;

namespace TextureViewer;

/// <summary>
/// The process's resident set size, read without allocating: on Linux from /proc/self/statm through a handle kept
/// open (pread at offset 0 into a fixed buffer), elsewhere from <see cref="Environment.WorkingSet"/>. Measuring memory
/// must not itself grow the managed heap, or a soak would measure its own probe.
/// </summary>
internal sealed class ResidentMemory : IDisposable
{
    private readonly SafeFileHandle? statm;
    private readonly byte[] buffer = new byte[128];

    public ResidentMemory()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            statm = File.OpenHandle("/proc/self/statm");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Resident bytes now.</summary>
    public long Read()
    {
        if (statm is null) return Environment.WorkingSet;
        var length = RandomAccess.Read(statm, buffer, 0);
        // statm: "size resident shared text lib data dt" in pages; the second field is the resident set.
        var field = 0;
        long value = 0;
        for (var i = 0; i < length; i++)
        {
            var c = buffer[i];
            if (c == (byte)' ')
            {
                if (field == 1) break;
                field++;
                value = 0;
            }
            else if (c is >= (byte)'0' and <= (byte)'9') value = 10 * value + (c - '0');
        }
        return value * Environment.SystemPageSize;
    }

    public void Dispose() => statm?.Dispose();
}
