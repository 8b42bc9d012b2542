using System.Diagnostics.CodeAnalysis;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Distributed;

/// <summary>
/// The default synchronizer: one process, world size 1, every collective is the identity. Loads nothing MPI.
/// </summary>
public sealed class SingleProcessSynchronizer : IGradientSynchronizer
{
    /// <summary>The shared instance (the class is stateless).</summary>
    public static SingleProcessSynchronizer Instance { get; } = new();

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int WorldSize => 1;

    /// <inheritdoc />
    public bool IsPrimary => true;

    /// <inheritdoc />
    public void BroadcastParameters(IEnumerable<Tensor> tensors) => ArgumentNullException.ThrowIfNull(tensors);

    /// <inheritdoc />
    public void AverageGradients(IEnumerable<Parameter> parameters) => ArgumentNullException.ThrowIfNull(parameters);

    /// <inheritdoc />
    public double AllReduceScalar(double value, ReduceOperation operation) => value;

    /// <inheritdoc />
    public void Barrier() { }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }

    /// <inheritdoc />
    [DoesNotReturn]
    public void Abort(int errorCode, string message)
    {
        Console.Out.Flush();
        Console.Error.WriteLine(message);
        Console.Error.Flush();
        Environment.Exit(errorCode == 0 ? 1 : errorCode);
    }
}
