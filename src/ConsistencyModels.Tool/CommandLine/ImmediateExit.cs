using System.Runtime.InteropServices;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>
/// Ends the process now, without running exit handlers: libtorch's static destructors join its worker threads,
/// which would wait for the very computation a signal is meant to stop.
/// </summary>
internal static partial class ImmediateExit
{
    /// <summary>Flushes the console and ends the process with <paramref name="code"/>.</summary>
    public static void Now(int code)
    {
        try
        {
            Console.Out.Flush();
            Console.Error.Flush();
        }
        catch (IOException)
        {
            // A closed pipe: nothing more to say anyway.
        }
        try
        {
            if (OperatingSystem.IsLinux()) LinuxExit(code);
            else if (OperatingSystem.IsMacOS()) MacExit(code);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Fall through to the managed exit.
        }
        Environment.Exit(code);
    }

    [LibraryImport("libc.so.6", EntryPoint = "_exit")]
    private static partial void LinuxExit(int status);

    [LibraryImport("libSystem.dylib", EntryPoint = "_exit")]
    private static partial void MacExit(int status);
}
