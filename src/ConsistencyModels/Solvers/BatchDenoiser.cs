using static TorchSharp.torch;

namespace ConsistencyModels.Solvers;

/// <summary>
/// A denoiser D(x; σ) with a noise level per sample, as the distillation losses need (each sample of a
/// batch sits at its own grid point). Same ownership rules as <see cref="Denoiser"/>.
/// </summary>
/// <param name="x">Noisy batch, shape [B, ...].</param>
/// <param name="sigma">Per-sample noise levels σ &gt; 0, shape [B].</param>
public delegate Tensor BatchDenoiser(Tensor x, Tensor sigma);
