using ConsistencyModels.Platform;
using ConsistencyModels.Solvers;
using static TorchSharp.torch;

namespace ConsistencyModels.Oracles;

/// <summary>
/// A Gaussian mixture p(x₀) = Σ_k w_k·N(μ_k, diag(s_k²)) in D dimensions, the exact test oracle: under
/// x = x₀ + σ·n each component stays Gaussian, N(μ_k, diag(s_k² + σ²)), so the ideal denoiser is closed-form,
/// D(x;σ) = E[x₀|x] = Σ_k r_k(x)·(μ_k + s_k²/(s_k² + σ²)·(x − μ_k)) with posterior responsibilities
/// r_k ∝ w_k·N(x; μ_k, s_k² + σ²) (computed as a softmax of log-densities, in float64).
/// </summary>
public sealed class GaussianMixture
{
    private readonly double[] _weights;
    private readonly double[,] _means;
    private readonly double[,] _stds;

    /// <summary>A mixture with a diagonal standard deviation per component and dimension.</summary>
    /// <param name="weights">K weights &gt; 0 (normalized here).</param>
    /// <param name="means">[K, D] means.</param>
    /// <param name="stds">[K, D] standard deviations &gt; 0.</param>
    public GaussianMixture(IReadOnlyList<double> weights, double[,] means, double[,] stds)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(stds);
        int k = weights.Count;
        if (k < 1) throw new ArgumentException("a mixture needs at least one component.", nameof(weights));
        if (means.GetLength(0) != k || means.GetLength(1) < 1)
            throw new ArgumentException($"means must have shape [K = {k}, D >= 1], got [{means.GetLength(0)}, {means.GetLength(1)}].", nameof(means));
        if (stds.GetLength(0) != k || stds.GetLength(1) != means.GetLength(1))
            throw new ArgumentException($"stds must have shape [K, D] = [{k}, {means.GetLength(1)}] like means, got [{stds.GetLength(0)}, {stds.GetLength(1)}].", nameof(stds));
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            if (!(weights[i] > 0) || double.IsInfinity(weights[i]))
                throw new ArgumentException($"weights must be finite and > 0, got weights[{i}] = {weights[i]}.", nameof(weights));
            total += weights[i];
        }
        foreach (double s in stds)
            if (!(s > 0) || double.IsInfinity(s))
                throw new ArgumentException($"stds must be finite and > 0, got {s}.", nameof(stds));
        _weights = weights.Select(w => w / total).ToArray();
        _means = (double[,])means.Clone();
        _stds = (double[,])stds.Clone();
    }

    /// <summary>A mixture with one isotropic standard deviation per component.</summary>
    public GaussianMixture(IReadOnlyList<double> weights, double[,] means, IReadOnlyList<double> isotropicStds)
        : this(weights, means, Expand(means, isotropicStds))
    {
    }

    /// <summary>Number of components K.</summary>
    public int Components => _weights.Length;

    /// <summary>Dimension D.</summary>
    public int Dimension => _means.GetLength(1);

    /// <summary>The normalized weights.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>Mixture mean Σ_k w_k μ_k.</summary>
    public double[] Mean()
    {
        var m = new double[Dimension];
        for (int k = 0; k < Components; k++)
            for (int d = 0; d < Dimension; d++) m[d] += _weights[k] * _means[k, d];
        return m;
    }

    /// <summary>Mixture covariance Σ_k w_k (diag(s_k²) + μ_kμ_kᵀ) − μμᵀ, plus σ²·I for the noisy marginal at σ.</summary>
    public double[,] Covariance(double sigma = 0.0)
    {
        Guard.NonNegative(sigma, nameof(sigma));
        int dim = Dimension;
        var m = Mean();
        var c = new double[dim, dim];
        for (int k = 0; k < Components; k++)
            for (int i = 0; i < dim; i++)
            {
                for (int j = 0; j < dim; j++) c[i, j] += _weights[k] * _means[k, i] * _means[k, j];
                c[i, i] += _weights[k] * _stds[k, i] * _stds[k, i];
            }
        for (int i = 0; i < dim; i++)
        {
            for (int j = 0; j < dim; j++) c[i, j] -= m[i] * m[j];
            c[i, i] += sigma * sigma;
        }
        return c;
    }

    /// <summary>The exact denoiser E[x₀ | x] at one σ ≥ 0 for x of shape [B, D] (or [B, …] with D elements per sample).</summary>
    public Tensor Denoise(Tensor x, double sigma)
    {
        ArgumentNullException.ThrowIfNull(x);
        Guard.NonNegative(sigma, nameof(sigma));
        CheckShape(x);
        var sig = new double[x.shape[0]];
        Array.Fill(sig, sigma);
        return Run(x, sig);
    }

    /// <summary>The exact denoiser with a σ ≥ 0 per sample (shape [B]).</summary>
    public Tensor Denoise(Tensor x, Tensor sigma)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma);
        CheckShape(x);
        if (sigma.dim() != 1 || sigma.shape[0] != x.shape[0])
            throw new ArgumentException($"sigma must have shape [B] = [{x.shape[0]}], got [{string.Join(", ", sigma.shape)}].", nameof(sigma));
        using var s64 = sigma.to(ScalarType.Float64, CPU).contiguous();
        var sig = s64.data<double>().ToArray();
        foreach (double v in sig)
            if (!(v >= 0) || double.IsInfinity(v)) throw new ArgumentException($"sigma must be finite and >= 0 for every sample, got {v}.", nameof(sigma));
        return Run(x, sig);
    }

    /// <summary>This oracle as a <see cref="Denoiser"/>.</summary>
    public Denoiser AsDenoiser() => Denoise;

    /// <summary>This oracle as a <see cref="BatchDenoiser"/>.</summary>
    public BatchDenoiser AsBatchDenoiser() => Denoise;

    /// <summary>Draws n samples [n, D] (float64).</summary>
    public Tensor Sample(int n, Generator? generator = null)
    {
        Guard.AtLeast(n, 1, nameof(n));
        using var scope = NewDisposeScope();
        var mu = tensor(_means.Cast<double>().ToArray(), new long[] { Components, Dimension }, ScalarType.Float64);
        var sd = tensor(_stds.Cast<double>().ToArray(), new long[] { Components, Dimension }, ScalarType.Float64);
        var w = tensor(_weights, ScalarType.Float64);
        var comp = w.multinomial(n, replacement: true, generator: generator);
        var z = randn(new long[] { n, Dimension }, ScalarType.Float64, generator: generator);
        return mu.index_select(0, comp).Plus(sd.index_select(0, comp) * z).MoveToOuterDisposeScope();
    }

    // The oracle runs in managed float64: a handful of tiny torch ops costs milliseconds per call, and the
    // reference ODE solutions need tens of thousands of calls.
    private Tensor Run(Tensor x, double[] sigma)
    {
        using var x64 = x.to(ScalarType.Float64, CPU).contiguous();
        var xs = x64.data<double>().ToArray();
        var outp = new double[xs.Length];
        int dim = Dimension, kc = Components;
        var logp = new double[kc];
        for (int b = 0; b < sigma.Length; b++)
        {
            int o = b * dim;
            double s2 = sigma[b] * sigma[b];
            if (s2 == 0) { Array.Copy(xs, o, outp, o, dim); continue; }
            double max = double.NegativeInfinity;
            for (int k = 0; k < kc; k++)
            {
                // log w_k + log N(x; μ_k, diag(s_k² + σ²)) up to the shared −D/2·ln 2π.
                double lp = Math.Log(_weights[k]);
                for (int d = 0; d < dim; d++)
                {
                    double tot = _stds[k, d] * _stds[k, d] + s2, diff = xs[o + d] - _means[k, d];
                    lp -= 0.5 * (diff * diff / tot + Math.Log(tot));
                }
                logp[k] = lp;
                max = Math.Max(max, lp);
            }
            double z = 0;
            for (int k = 0; k < kc; k++) { logp[k] = Math.Exp(logp[k] - max); z += logp[k]; }
            for (int k = 0; k < kc; k++)
            {
                double r = logp[k] / z;
                for (int d = 0; d < dim; d++)
                {
                    double v0 = _stds[k, d] * _stds[k, d];
                    outp[o + d] += r * (_means[k, d] + v0 / (v0 + s2) * (xs[o + d] - _means[k, d]));
                }
            }
        }
        var res = tensor(outp, x.shape, ScalarType.Float64);
        if (x.dtype == ScalarType.Float64 && x.device.type == TorchSharp.DeviceType.CPU) return res;
        using (res) return res.to(x.dtype, x.device);
    }

    private void CheckShape(Tensor x)
    {
        long per = x.dim() >= 1 && x.shape[0] > 0 ? x.numel() / x.shape[0] : -1;
        if (x.dim() < 2 || per != Dimension)
            throw new ArgumentException($"x must have shape [B, D = {Dimension}] (or [B, …] with {Dimension} elements per sample), got [{string.Join(", ", x.shape)}].", nameof(x));
    }

    private static double[,] Expand(double[,] means, IReadOnlyList<double> isotropicStds)
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(isotropicStds);
        int k = means.GetLength(0), d = means.GetLength(1);
        if (isotropicStds.Count != k)
            throw new ArgumentException($"isotropicStds needs one value per component (K = {k}), got {isotropicStds.Count}.", nameof(isotropicStds));
        var s = new double[k, d];
        for (int i = 0; i < k; i++) for (int j = 0; j < d; j++) s[i, j] = isotropicStds[i];
        return s;
    }
}
