using ConsistencyModels.Platform;
using ConsistencyModels.Solvers;
using static TorchSharp.torch;

namespace ConsistencyModels.Oracles;

/// <summary>
/// The empirical distribution of a finite point set {y_j}: its ideal denoiser is the softmax-weighted mean
/// D(x;σ) = Σ_j softmax_j(−‖x − y_j‖²/(2σ²))·y_j (Karras et al. 2022, Appendix B.3), computed in float64
/// with a log-sum-exp–stable softmax. It is the denoiser a network would learn by memorizing the data.
/// </summary>
public sealed class EmpiricalDataset : IDisposable
{
    private readonly Tensor _points;

    /// <summary>Wraps a point set [M, D] (copied to float64).</summary>
    public EmpiricalDataset(Tensor points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.dim() != 2 || points.shape[0] < 1 || points.shape[1] < 1)
            throw new ArgumentException($"points must have shape [M >= 1, D >= 1], got [{string.Join(", ", points.shape)}].", nameof(points));
        _points = points.to(ScalarType.Float64).clone();
    }

    /// <summary>Number of points M.</summary>
    public long Count => _points.shape[0];

    /// <summary>Dimension D.</summary>
    public long Dimension => _points.shape[1];

    /// <summary>The points [M, D] (float64; do not dispose).</summary>
    public Tensor Points => _points;

    /// <summary>D(x;σ) for x [B, D] (or [B, …] with D elements per sample), σ &gt; 0.</summary>
    public Tensor Denoise(Tensor x, double sigma)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.Positive(sigma, nameof(sigma));
        long per = x.dim() >= 2 && x.shape[0] > 0 ? x.numel() / x.shape[0] : -1;
        if (per != Dimension)
            throw new ArgumentException($"x must have shape [B, D = {Dimension}] (or [B, …] with {Dimension} elements per sample), got [{string.Join(", ", x.shape)}].", nameof(x));
        using var scope = NewDisposeScope();
        var x64 = x.to(ScalarType.Float64).reshape(x.shape[0], Dimension);
        var pts = _points.to(x.device);
        var d2 = (x64.unsqueeze(1) - pts.unsqueeze(0)).Square().sum(2);  // [B, M], exact differences
        var w = d2.Times(-0.5 / (sigma * sigma)).softmax(1);                // softmax subtracts the max: stable
        return w.matmul(pts).reshape(x.shape).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>D(x;σ) with a σ &gt; 0 per sample (shape [B]).</summary>
    public Tensor Denoise(Tensor x, Tensor sigma)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma);
        long per = x.dim() >= 2 && x.shape[0] > 0 ? x.numel() / x.shape[0] : -1;
        if (per != Dimension)
            throw new ArgumentException($"x must have shape [B, D = {Dimension}] (or [B, …] with {Dimension} elements per sample), got [{string.Join(", ", x.shape)}].", nameof(x));
        if (sigma.dim() != 1 || sigma.shape[0] != x.shape[0])
            throw new ArgumentException($"sigma must have shape [B] = [{x.shape[0]}], got [{string.Join(", ", sigma.shape)}].", nameof(sigma));
        using var scope = NewDisposeScope();
        var s64 = sigma.to(ScalarType.Float64, x.device);
        if (!s64.Greater(0).all().item<bool>()) throw new ArgumentException("sigma must be > 0 for every sample.", nameof(sigma));
        var x64 = x.to(ScalarType.Float64).reshape(x.shape[0], Dimension);
        var pts = _points.to(x.device);
        var d2 = (x64.unsqueeze(1) - pts.unsqueeze(0)).Square().sum(2);
        var w = (d2 * s64.Square().DividedInto(-0.5).unsqueeze(1)).softmax(1);
        return w.matmul(pts).reshape(x.shape).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>This oracle as a <see cref="BatchDenoiser"/>.</summary>
    public BatchDenoiser AsBatchDenoiser() => Denoise;

    /// <summary>This oracle as a <see cref="Denoiser"/>.</summary>
    public Denoiser AsDenoiser() => Denoise;

    /// <inheritdoc/>
    public void Dispose() => _points.Dispose();
}
