using System.Runtime.InteropServices;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>Loads a native library from a list of candidate names and resolves its exports, without throwing.</summary>
internal static class NativeLibraryLoader
{
    /// <summary>Tries each candidate name in turn; returns false with the names tried when none loads.</summary>
    public static bool TryLoad(IReadOnlyList<string> candidates, out IntPtr handle, out string reason)
    {
        foreach (var name in candidates)
        {
            if (NativeLibrary.TryLoad(name, out handle))
            {
                reason = "";
                return true;
            }
        }
        handle = IntPtr.Zero;
        reason = $"none of [{string.Join(", ", candidates)}] could be loaded";
        return false;
    }

    /// <summary>The address of an export; throws <see cref="EntryPointNotFoundException"/> naming the symbol if missing.</summary>
    public static IntPtr Export(IntPtr handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"native export '{name}' not found");

    /// <summary>The address of an export, or zero when it is missing (optional entry points).</summary>
    public static IntPtr OptionalExport(IntPtr handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address) ? address : IntPtr.Zero;
}
