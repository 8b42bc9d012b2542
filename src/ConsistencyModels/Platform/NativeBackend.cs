using System.Runtime.InteropServices;

namespace ConsistencyModels.Platform;

/// <summary>
/// Loads TorchSharp's native backend and, when that fails, says why in one line instead of TorchSharp's
/// page-long NotSupportedException inside a TypeInitializationException: no backend package (the app must reference
/// TorchSharp-cpu, TorchSharp-cuda-linux or TorchSharp-cuda-windows), or on Linux a libLibTorchSharp.so that needs
/// GLIBCXX_3.4.32 where the system's libstdc++ is older (Debian 12; the package's build targets fix the copy in the
/// output, so an unfixed copy means the app skipped them or was copied from elsewhere). It also removes the
/// <c>cpu/</c> folder (≈ 480 MB of unfixed copies) that TorchSharp's fallback leaves beside the app after a failed load.
/// Call <see cref="EnsureLoaded"/> before anything touches <c>TorchSharp.torch</c> (its static constructor loads the
/// backend, and a failure there poisons the type for the life of the process).
/// </summary>
public static class NativeBackend
{
    private static readonly Lock Gate = new();
    private static bool loaded;
    private static TorchBackendException? failure;

    /// <summary>Loads the backend once per process; later calls return at once or rethrow the first failure.</summary>
    /// <exception cref="TorchBackendException">The backend cannot be loaded; the message says why and what to do.</exception>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref loaded)) return;
        lock (Gate)
        {
            if (loaded) return;
            if (failure is not null) throw failure;
            try
            {
                TouchTorch();
                loaded = true;
            }
            catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException)
            {
                failure = new TorchBackendException(Diagnose(AppContext.BaseDirectory), e);
                RemoveFallbackCopies(AppContext.BaseDirectory);
                throw failure;
            }
        }
    }

    // A method of its own so that only calling it runs torch's static constructor.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void TouchTorch() => _ = TorchSharp.torch.get_num_threads();

    /// <summary>The one-line reason a backend failed to load in <paramref name="appDirectory"/> (internal for tests).</summary>
    internal static string Diagnose(string appDirectory)
    {
        var (bindings, libtorch) = NativeFileNames();
        var nativeDirs = new[] { appDirectory, Path.Combine(appDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native") }
            .Concat(Directory.Exists(Path.Combine(appDirectory, "runtimes"))
                ? Directory.EnumerateDirectories(Path.Combine(appDirectory, "runtimes")).Select(d => Path.Combine(d, "native"))
                : [])
            .Where(Directory.Exists).Distinct().ToArray();
        var libtorchDir = nativeDirs.FirstOrDefault(d => File.Exists(Path.Combine(d, libtorch)));
        if (libtorchDir is null)
            return "TorchSharp's native backend is missing: the app references no TorchSharp backend package. Add one PackageReference "
                + "(version 0.107.0): TorchSharp-cpu (any machine), TorchSharp-cuda-linux or TorchSharp-cuda-windows (NVIDIA GPU).";
        var bindingsPath = Path.Combine(libtorchDir, bindings);
        if (!File.Exists(bindingsPath))
            return $"TorchSharp's {bindings} is missing beside {Path.Combine(libtorchDir, libtorch)}: rebuild or republish the app (the output is incomplete).";
        if (OperatingSystem.IsLinux())
        {
            string? loaderError = LoaderError(Path.Combine(libtorchDir, libtorch), bindingsPath);
            if (loaderError is not null && loaderError.Contains("GLIBCXX", StringComparison.Ordinal))
            {
                var version = System.Text.RegularExpressions.Regex.Match(loaderError, @"GLIBCXX_[0-9.]+[0-9]").Value;
                return $"{bindingsPath} needs {(version.Length > 0 ? version : "a newer GLIBCXX")}, which this system's libstdc++ lacks "
                    + "(Debian 12 ships GCC 12's): ConsistencyModels' build targets fix that copy after build and publish, and this one was "
                    + "not fixed. Build or publish the app with its PackageReference to ConsistencyModels(.Runtime) and run it from that "
                    + "output (do not copy libLibTorchSharp.so from the NuGet cache), or install GCC 13's libstdc++.";
            }
            if (loaderError is not null)
                return $"TorchSharp's native backend in {libtorchDir} does not load: {loaderError}";
        }
        return $"TorchSharp's native backend in {libtorchDir} does not load (TorchSharp: NotSupportedException); check that its libtorch "
            + "matches TorchSharp 0.107.0 (libtorch 2.10) and this platform.";
    }

    private static (string Bindings, string Libtorch) NativeFileNames() =>
        OperatingSystem.IsWindows() ? ("LibTorchSharp.dll", "torch.dll")
        : OperatingSystem.IsMacOS() ? ("libLibTorchSharp.dylib", "libtorch.dylib")
        : ("libLibTorchSharp.so", "libtorch.so");

    // The dynamic loader's own words for why the bindings do not load (null when they do).
    private static string? LoaderError(string libtorchPath, string bindingsPath)
    {
        try
        {
            NativeLibrary.Load(libtorchPath);
            NativeLibrary.Load(bindingsPath);
            return null;
        }
        catch (DllNotFoundException e)
        {
            return PrintableText.WithoutNativeTrace(e.Message).ReplaceLineEndings(" ").Trim();
        }
        catch (BadImageFormatException e)
        {
            return e.Message.ReplaceLineEndings(" ").Trim();
        }
    }

    /// <summary>Deletes the <c>cpu/</c> or <c>cuda/</c> folder of copies TorchSharp's fallback loader left in
    /// <paramref name="appDirectory"/> (only one that holds TorchSharp's bindings). Internal for tests.</summary>
    internal static void RemoveFallbackCopies(string appDirectory)
    {
        var (bindings, _) = NativeFileNames();
        foreach (var name in new[] { "cpu", "cuda" })
        {
            var dir = Path.Combine(appDirectory, name);
            if (!File.Exists(Path.Combine(dir, bindings))) continue;
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Read-only install folder: nothing to clean, and the load error is what matters.
            }
        }
    }
}

/// <summary>TorchSharp's native backend could not be loaded; the message is one line saying why and what to do
/// (<see cref="NativeBackend"/>), the inner exception is TorchSharp's own.</summary>
public sealed class TorchBackendException(string message, Exception inner) : Exception(message, inner);
