using System.Diagnostics.CodeAnalysis;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Distributed;

/// <summary>
/// Data-parallel synchronization over Open MPI (MPI_COMM_WORLD). Creating it loads libmpi and calls
/// MPI_Init_thread (MPI_THREAD_SERIALIZED: calls may come from any thread, one at a time);
/// disposing calls MPI_Finalize. Errors are returned (MPI_ERRORS_RETURN) and thrown as <see cref="MpiException"/>,
/// so the caller can turn them into one clear <see cref="Abort"/> (see <see cref="DistributedRunner"/>).
/// MPI can be initialized once per process, so at most one instance may ever exist.
/// </summary>
public sealed unsafe class MpiSynchronizer : IGradientSynchronizer
{
    private static int _created;
    private readonly MpiNative _mpi;
    private readonly bool _ownsInit;
    private readonly long _bucketBytes;
    private bool _disposed;

    /// <summary>Loads Open MPI and joins MPI_COMM_WORLD.</summary>
    /// <param name="bucketBytes">Cap on one all-reduce bucket in bytes (default 25 MB).</param>
    /// <exception cref="MpiException">Open MPI is missing or MPI_Init failed.</exception>
    public MpiSynchronizer(long bucketBytes = GradientBucketPlan.DefaultBucketBytes)
    {
        Guard.Positive(bucketBytes);
        if (Interlocked.Exchange(ref _created, 1) != 0)
            throw new InvalidOperationException("MpiSynchronizer was already created in this process: MPI can be initialized only once.");
        _bucketBytes = bucketBytes;
        try
        {
            _mpi = MpiNative.Load();
        }
        catch (MpiException)
        {
            Volatile.Write(ref _created, 0); // nothing was initialized: a later attempt may succeed
            throw;
        }
        int flag = 0;
        _mpi.Check(_mpi.Initialized(&flag), "MPI_Initialized");
        if (flag == 0)
        {
            int provided = 0;
            _mpi.Check(_mpi.InitThread(null, null, MpiNative.ThreadSerialized, &provided), "MPI_Init_thread");
            _ownsInit = true;
        }
        _mpi.Check(_mpi.CommSetErrhandler(_mpi.CommWorld, _mpi.ErrorsReturn), "MPI_Comm_set_errhandler");
        int rank = 0, size = 0;
        _mpi.Check(_mpi.CommRank(_mpi.CommWorld, &rank), "MPI_Comm_rank");
        _mpi.Check(_mpi.CommSize(_mpi.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        WorldSize = size;
    }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int WorldSize { get; }

    /// <inheritdoc />
    public bool IsPrimary => Rank == 0;

    /// <summary>The soname of the MPI library in use (for logs).</summary>
    public string LibraryName => _mpi.LibraryName;

    /// <inheritdoc />
    public void BroadcastParameters(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ThrowIfDisposed();
        using var noGrad = torch.no_grad();
        foreach (var t in tensors)
        {
            if (t.numel() == 0) continue;
            bool direct = t.device_type == DeviceType.CPU && t.is_contiguous();
            using var staging = direct ? null : t.detach().cpu().contiguous();
            var buffer = staging ?? t;
            BroadcastBytes(buffer.bytes);
            if (staging is not null) t.copy_(staging);
        }
    }

    /// <inheritdoc />
    public void AverageGradients(IEnumerable<Parameter> parameters)
    {
        ThrowIfDisposed();
        GradientAverager.Average(parameters, WorldSize, _bucketBytes, AllReduceSumInPlace);
    }

    /// <summary>Sums a contiguous float32 CPU tensor over all ranks, in place (one MPI_Allreduce).</summary>
    public void AllReduceSumInPlace(Tensor flat)
    {
        ArgumentNullException.ThrowIfNull(flat);
        ThrowIfDisposed();
        if (flat.dtype != ScalarType.Float32 || flat.device_type != DeviceType.CPU || !flat.is_contiguous())
            throw new ArgumentException($"flat must be a contiguous float32 CPU tensor, got {flat.dtype} on {flat.device_type}.", nameof(flat));
        long n = flat.numel();
        if (n == 0) return;
        if (n > int.MaxValue) throw new ArgumentException($"flat has {n} values, more than MPI's int count allows; use smaller buckets.", nameof(flat));
        fixed (byte* p = flat.bytes)
            _mpi.Check(_mpi.Allreduce(MpiNative.InPlace, p, (int)n, _mpi.Float, _mpi.OpSum, _mpi.CommWorld), "MPI_Allreduce");
    }

    /// <inheritdoc />
    public double AllReduceScalar(double value, ReduceOperation operation)
    {
        ThrowIfDisposed();
        var op = operation switch
        {
            ReduceOperation.Sum => _mpi.OpSum,
            ReduceOperation.Max => _mpi.OpMax,
            ReduceOperation.Min => _mpi.OpMin,
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "operation must be Sum, Max or Min."),
        };
        double result = 0;
        _mpi.Check(_mpi.Allreduce(&value, &result, 1, _mpi.Double, op, _mpi.CommWorld), "MPI_Allreduce");
        return result;
    }

    /// <inheritdoc />
    public void Barrier()
    {
        ThrowIfDisposed();
        _mpi.Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier");
    }

    /// <inheritdoc />
    [DoesNotReturn]
    public void Abort(int errorCode, string message)
    {
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        // MPI_Abort makes mpirun kill every rank of the job; it does not return.
        _mpi.Abort(_mpi.CommWorld, errorCode);
        Environment.Exit(errorCode == 0 ? 1 : errorCode);
    }

    /// <summary>Calls MPI_Finalize (collective: every rank should dispose at the same point).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_ownsInit) return;
        int finalized = 0;
        _mpi.Finalized(&finalized);
        if (finalized == 0) _mpi.Check(_mpi.Finalize(), "MPI_Finalize");
    }

    private void BroadcastBytes(Span<byte> bytes)
    {
        const int chunk = 1 << 30; // MPI counts are int; stay well inside.
        fixed (byte* p = bytes)
        {
            for (long offset = 0; offset < bytes.Length; offset += chunk)
            {
                int count = (int)Math.Min(chunk, bytes.Length - offset);
                _mpi.Check(_mpi.Bcast(p + offset, count, _mpi.Byte, 0, _mpi.CommWorld), "MPI_Bcast");
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
