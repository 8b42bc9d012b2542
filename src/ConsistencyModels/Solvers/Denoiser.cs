using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// A denoiser D(x; σ) in the EDM form: the estimate of the clean sample x₀ given x = x₀ + σ·n.
/// Every solver and sampler takes one, so it works the same with a network, an exact oracle or a
/// test double. The returned tensor is new and owned by the caller; <paramref name="x"/> is not modified.
/// </summary>
/// <param name="x">Noisy batch, shape [B, ...].</param>
/// <param name="sigma">Noise level σ &gt; 0 shared by the batch.</param>
public delegate Tensor Denoiser(Tensor x, double sigma);
