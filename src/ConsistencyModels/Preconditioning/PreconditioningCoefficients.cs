using static TorchSharp.torch;

namespace ConsistencyModels.Preconditioning;

/// <summary>
/// The preconditioning at one noise level as tensors: c_in, c_skip, c_out ([1, 1, 1, 1]) and c_noise ([1]), from
/// <see cref="PreconditionedNetwork.CoefficientsAt"/>. Owns the four tensors.
/// </summary>
public sealed class PreconditioningCoefficients : IDisposable
{
    internal PreconditioningCoefficients(Tensor cIn, Tensor cSkip, Tensor cOut, Tensor cNoise)
    {
        CIn = cIn;
        CSkip = cSkip;
        COut = cOut;
        CNoise = cNoise;
    }

    /// <summary>c_in(σ) = 1/√(σ² + σd²).</summary>
    public Tensor CIn { get; }

    /// <summary>c_skip(σ).</summary>
    public Tensor CSkip { get; }

    /// <summary>c_out(σ).</summary>
    public Tensor COut { get; }

    /// <summary>c_noise(σ) = ¼·ln σ.</summary>
    public Tensor CNoise { get; }

    internal void MoveToOuterDisposeScope()
    {
        CIn.MoveToOuterDisposeScope();
        CSkip.MoveToOuterDisposeScope();
        COut.MoveToOuterDisposeScope();
        CNoise.MoveToOuterDisposeScope();
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        CIn.Dispose();
        CSkip.Dispose();
        COut.Dispose();
        CNoise.Dispose();
    }
}
