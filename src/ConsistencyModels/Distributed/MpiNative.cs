using System.Runtime.InteropServices;

namespace ConsistencyModels.Distributed;

/// <summary>
/// Thin binding to Open MPI's C API, resolved at run time so that nothing MPI is loaded unless a
/// caller asks for it (<see cref="Load()"/>). Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM …)
/// are macros for the ADDRESSES of exported globals (mpi.h: <c>OMPI_PREDEFINED_GLOBAL(MPI_Op, ompi_mpi_op_sum)</c>),
/// so they are read with <see cref="NativeLibrary.GetExport"/>, never written as integer constants.
/// </summary>
internal sealed unsafe class MpiNative
{
    /// <summary>Sonames tried in order: the Open MPI 4.x ABI first, then the development symlink.</summary>
    public static readonly string[] DefaultLibraryNames = ["libmpi.so.40", "libmpi.so"];

    /// <summary>mpi.h (Open MPI): <c>#define MPI_IN_PLACE ((void *) 1)</c>.</summary>
    public static readonly void* InPlace = (void*)1;

    /// <summary>mpi.h: MPI_SUCCESS.</summary>
    public const int Success = 0;

    /// <summary>mpi.h enum: MPI_THREAD_SINGLE, FUNNELED, SERIALIZED, MULTIPLE = 0..3.</summary>
    public const int ThreadSerialized = 2;

    private static readonly object Gate = new();
    private static MpiNative? _instance;

    private MpiNative(IntPtr lib, string name)
    {
        LibraryName = name;
        CommWorld = Export(lib, "ompi_mpi_comm_world");
        Float = Export(lib, "ompi_mpi_float");
        Double = Export(lib, "ompi_mpi_double");
        Byte = Export(lib, "ompi_mpi_byte");
        Int = Export(lib, "ompi_mpi_int");
        OpSum = Export(lib, "ompi_mpi_op_sum");
        OpMax = Export(lib, "ompi_mpi_op_max");
        OpMin = Export(lib, "ompi_mpi_op_min");
        ErrorsReturn = Export(lib, "ompi_mpi_errors_return");
        Initialized = (delegate* unmanaged<int*, int>)Export(lib, "MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Export(lib, "MPI_Finalized");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export(lib, "MPI_Init_thread");
        Finalize = (delegate* unmanaged<int>)Export(lib, "MPI_Finalize");
        CommRank = (delegate* unmanaged<IntPtr, int*, int>)Export(lib, "MPI_Comm_rank");
        CommSize = (delegate* unmanaged<IntPtr, int*, int>)Export(lib, "MPI_Comm_size");
        CommSetErrhandler = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(lib, "MPI_Comm_set_errhandler");
        Allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Export(lib, "MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Export(lib, "MPI_Bcast");
        Barrier = (delegate* unmanaged<IntPtr, int>)Export(lib, "MPI_Barrier");
        Abort = (delegate* unmanaged<IntPtr, int, int>)Export(lib, "MPI_Abort");
        ErrorString = (delegate* unmanaged<int, byte*, int*, int>)Export(lib, "MPI_Error_string");
    }

    /// <summary>The soname that was loaded.</summary>
    public string LibraryName { get; }

    /// <summary>MPI_COMM_WORLD.</summary>
    public IntPtr CommWorld { get; }
    /// <summary>MPI_FLOAT.</summary>
    public IntPtr Float { get; }
    /// <summary>MPI_DOUBLE.</summary>
    public IntPtr Double { get; }
    /// <summary>MPI_BYTE.</summary>
    public IntPtr Byte { get; }
    /// <summary>MPI_INT.</summary>
    public IntPtr Int { get; }
    /// <summary>MPI_SUM.</summary>
    public IntPtr OpSum { get; }
    /// <summary>MPI_MAX.</summary>
    public IntPtr OpMax { get; }
    /// <summary>MPI_MIN.</summary>
    public IntPtr OpMin { get; }
    /// <summary>MPI_ERRORS_RETURN.</summary>
    public IntPtr ErrorsReturn { get; }

    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<IntPtr, int*, int> CommRank;
    public readonly delegate* unmanaged<IntPtr, int*, int> CommSize;
    public readonly delegate* unmanaged<IntPtr, IntPtr, int> CommSetErrhandler;
    public readonly delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> Bcast;
    public readonly delegate* unmanaged<IntPtr, int> Barrier;
    public readonly delegate* unmanaged<IntPtr, int, int> Abort;
    public readonly delegate* unmanaged<int, byte*, int*, int> ErrorString;

    /// <summary>True once <see cref="Load()"/> succeeded in this process.</summary>
    public static bool IsLoaded => Volatile.Read(ref _instance) is not null;

    /// <summary>Loads Open MPI (once per process) or throws <see cref="MpiException"/> saying how to install it.</summary>
    public static MpiNative Load() => Load(DefaultLibraryNames);

    /// <summary>Loads the first library of <paramref name="names"/> that resolves (testable with bogus names).</summary>
    public static MpiNative Load(IReadOnlyList<string> names)
    {
        lock (Gate)
        {
            if (_instance is not null) return _instance;
            foreach (var name in names)
            {
                if (!NativeLibrary.TryLoad(name, out var lib)) continue;
                var native = new MpiNative(lib, name);
                // Only the real default set is cached: a probe with other names must not pin them.
                if (ReferenceEquals(names, DefaultLibraryNames)) _instance = native;
                return native;
            }
            throw new MpiException(
                $"Open MPI not found (tried {string.Join(", ", names)}): install openmpi-bin libopenmpi-dev " +
                "(Debian/Ubuntu: apt-get install -y openmpi-bin libopenmpi-dev), or run without --distributed mpi.");
        }
    }

    /// <summary>Throws <see cref="MpiException"/> naming the call and MPI's own error text when <paramref name="rc"/> is not MPI_SUCCESS.</summary>
    public void Check(int rc, string call)
    {
        if (rc == Success) return;
        throw new MpiException($"{call} failed with MPI error {rc}: {Describe(rc)}");
    }

    /// <summary>MPI_Error_string for an error code.</summary>
    public string Describe(int rc)
    {
        var buf = stackalloc byte[512]; // MPI_MAX_ERROR_STRING is 256 in Open MPI 4.
        int len = 0;
        if (ErrorString(rc, buf, &len) != Success || len <= 0) return "unknown error";
        return System.Text.Encoding.ASCII.GetString(buf, Math.Min(len, 511));
    }

    private static IntPtr Export(IntPtr lib, string symbol)
    {
        if (!NativeLibrary.TryGetExport(lib, symbol, out var address))
            throw new MpiException($"The loaded MPI library lacks the symbol '{symbol}': Open MPI 4.x (libmpi.so.40) is required.");
        return address;
    }
}
