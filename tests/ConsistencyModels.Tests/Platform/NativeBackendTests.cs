using ConsistencyModels.Platform;

namespace ConsistencyModels.Tests.Platform;

/// <summary>The one-line diagnosis of a backend that does not load, on app folders laid out here.</summary>
public class NativeBackendTests
{
    private string app = null!;

    [SetUp]
    public void MakeApp() => app = Path.Combine(Path.GetTempPath(), "cm-backend-test-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void RemoveApp()
    {
        if (Directory.Exists(app)) Directory.Delete(app, recursive: true);
    }

    [Test]
    public void TheBackendOfThisProcessLoads() => Assert.DoesNotThrow(NativeBackend.EnsureLoaded);

    [Test]
    public void AnAppWithoutLibtorchIsToldToAddABackendPackage()
    {
        Directory.CreateDirectory(Path.Combine(app, "runtimes", "linux-x64", "native"));
        File.WriteAllText(Path.Combine(app, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), "");
        var message = NativeBackend.Diagnose(app);
        Assert.That(message, Does.Contain("references no TorchSharp backend package").And.Contain("TorchSharp-cpu")
            .And.Contain("TorchSharp-cuda-linux").And.Contain("TorchSharp-cuda-windows"));
        Assert.That(message, Does.Not.Contain("\n"));
    }

    [Test]
    public void AnUnfixedLibTorchSharpOnAnOldLibstdcxxIsNamedWithItsGlibcxxVersion()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("the GLIBCXX check is Linux only");
        var libstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        if (!File.Exists(libstdcxx) || File.ReadAllText(libstdcxx).Contains("GLIBCXX_3.4.32\0"))
            Assert.Ignore("this system's libstdc++ has GLIBCXX_3.4.32: TorchSharp's library loads unfixed here");
        // The unfixed bindings from the NuGet cache beside this build's libtorch (already loaded by this process).
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var unfixed = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var libtorch = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libtorch.so");
        if (!File.Exists(libtorch)) libtorch = Path.Combine(AppContext.BaseDirectory, "libtorch.so");
        Assert.That(File.Exists(unfixed), Is.True, $"TorchSharp's package is in the NuGet cache: {unfixed}");
        Assert.That(File.Exists(libtorch), Is.True, $"this build has libtorch: {libtorch}");
        var native = Path.Combine(app, "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        // This build's libtorch libraries (linked, 480 MB), with the unfixed bindings in place of the fixed ones.
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(libtorch)!, "*.so*"))
            if (Path.GetFileName(file) != "libLibTorchSharp.so")
                File.CreateSymbolicLink(Path.Combine(native, Path.GetFileName(file)), file);
        File.Copy(unfixed, Path.Combine(native, "libLibTorchSharp.so"));

        var message = NativeBackend.Diagnose(app);
        Assert.That(message, Does.Contain("libLibTorchSharp.so needs GLIBCXX_3.4.32").And.Contain("Debian 12"));
        Assert.That(message, Does.Not.Contain("\n"));
    }

    [Test]
    public void TheFallbackCopiesOfAFailedLoadAreRemoved()
    {
        Directory.CreateDirectory(Path.Combine(app, "cpu"));
        File.WriteAllText(Path.Combine(app, "cpu", OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so"), "");
        File.WriteAllText(Path.Combine(app, "cpu", "libtorch_cpu.so"), "");
        Directory.CreateDirectory(Path.Combine(app, "cuda"));
        File.WriteAllText(Path.Combine(app, "cuda", "notes.txt"), "the app's own folder"); // not TorchSharp's: kept
        NativeBackend.RemoveFallbackCopies(app);
        Assert.That(Directory.Exists(Path.Combine(app, "cpu")), Is.False);
        Assert.That(File.Exists(Path.Combine(app, "cuda", "notes.txt")), Is.True);
    }
}
