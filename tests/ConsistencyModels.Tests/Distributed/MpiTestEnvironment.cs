using System.Diagnostics;
using System.Text;

namespace ConsistencyModels.Tests.Distributed;

/// <summary>Finds mpirun and the MpiTestHost build, and runs them with a hard timeout (a hang is a failure).</summary>
internal static class MpiTestEnvironment
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + "\n" + StdErr;
    }

    /// <summary>mpirun's full path, or Assert.Ignore (Assert.Fail when CM_REQUIRE_MPI=1) if Open MPI is absent.</summary>
    public static string RequireMpirun()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);
        if (found is not null) return found;
        const string reason = "mpirun not found: install openmpi-bin libopenmpi-dev to run the MPI tests";
        if (Environment.GetEnvironmentVariable("CM_REQUIRE_MPI") == "1") Assert.Fail(reason + " (CM_REQUIRE_MPI=1).");
        Assert.Ignore(reason + " (set CM_REQUIRE_MPI=1 to make this a failure).");
        return "";
    }

    /// <summary>tests/MpiTestHost/bin/&lt;Configuration&gt;/&lt;tfm&gt;/MpiTestHost.dll, found from this test assembly's output folder.</summary>
    public static string HostDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = dir.Name, configuration = dir.Parent!.Name;
        var testsDir = dir.Parent!.Parent!.Parent!.Parent!.FullName; // <tests>/ConsistencyModels.Tests/bin/<cfg>/<tfm>
        var dll = Path.Combine(testsDir, "MpiTestHost", "bin", configuration, tfm, "MpiTestHost.dll");
        if (!File.Exists(dll)) Assert.Fail($"MpiTestHost was not built at {dll} (the test project references it, so a build should produce it).");
        return dll;
    }

    /// <summary>mpirun --allow-run-as-root --oversubscribe -np K dotnet MpiTestHost.dll args…</summary>
    public static Result RunMpi(int ranks, string workDir, params string[] hostArgs) =>
        Run(RequireMpirun(), workDir,
            ["--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(), "dotnet", HostDll(), .. hostArgs]);

    /// <summary>dotnet MpiTestHost.dll args… (no mpirun).</summary>
    public static Result RunSingle(string workDir, params string[] hostArgs) => Run("dotnet", workDir, [HostDll(), .. hostArgs]);

    private static Result Run(string exe, string workDir, string[] args)
    {
        var psi = new ProcessStartInfo(exe)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "dumb";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        psi.Environment.Remove("OMPI_COMM_WORLD_SIZE");
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(Timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{exe} {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds} s (hang).\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }
        p.WaitForExit(); // flush the async readers
        return new Result(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A fresh temporary folder for one test's files.</summary>
    public static string NewWorkDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cm-mpi-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
