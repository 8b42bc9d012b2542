using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Losses;

/// <summary>
/// Data N(μ, s²) per element (independent dims), the closed-form oracle of the loss tests: under x = x₀ + σ·n
/// each element stays Gaussian, so the denoiser, the PF-ODE flow and the consistency function are exact.
/// Works in float64 on [B, C, H, W] batches; μ and s have the shape of one sample.
/// </summary>
internal sealed class SingleGaussian
{
    public SingleGaussian(double[] mu, double[] s, long[] sampleShape)
    {
        Mu = mu;
        S = s;
        SampleShape = sampleShape;
    }

    public double[] Mu { get; }
    public double[] S { get; }
    public long[] SampleShape { get; }
    public int Dim => Mu.Length;

    /// <summary>A 2×2×2 Gaussian with per-element means and stds (neither equal to σ_data = 0.5).</summary>
    public static SingleGaussian Small() => new(
        new[] { 0.3, -0.2, 0.1, 0.6, -0.5, 0.0, 0.25, -0.4 },
        new[] { 0.2, 0.35, 0.8, 0.3, 0.45, 0.6, 0.25, 0.7 },
        new long[] { 2, 2, 2 });

    private Tensor T(double[] v, Tensor like) =>
        tensor(v, new long[] { 1 }.Concat(SampleShape).ToArray(), ScalarType.Float64).to(like.dtype);

    private static Tensor Col(Tensor perSample, Tensor like) => perSample.reshape(perSample.shape[0], 1, 1, 1).to(like.dtype);

    /// <summary>D*(x;σ) = μ + s²/(s²+σ²)·(x−μ).</summary>
    public Tensor Denoise(Tensor x, Tensor sigma)
    {
        using var mu = T(Mu, x);
        using var s = T(S, x);
        using var sb = Col(sigma, x);
        return mu.Plus(s.Square() / (s.Square().Plus(sb.Square())) * (x - mu));
    }

    /// <summary>The exact flow x(σ') = μ + (x−μ)·√(s²+σ'²)/√(s²+σ²).</summary>
    public Tensor Flow(Tensor x, Tensor sigma, Tensor sigmaNext)
    {
        using var mu = T(Mu, x);
        using var s = T(S, x);
        using var a = Col(sigma, x);
        using var b = Col(sigmaNext, x);
        return mu.Plus((x - mu) * s.Square().Plus(b.Square()).sqrt() / s.Square().Plus(a.Square()).sqrt());
    }

    /// <summary>f*(x, σ) = μ + (x−μ)·√(s²+ε²)/√(s²+σ²).</summary>
    public Tensor ConsistencyFunction(Tensor x, Tensor sigma, double epsilon)
    {
        using var eps = ScalarArithmetic.Full(sigma.shape, epsilon, sigma.dtype, sigma.device);
        return Flow(x, sigma, eps);
    }

    /// <summary>Elementwise flow in plain doubles, for hand computations; element index i is within one sample.</summary>
    public double Flow(double x, int i, double sigma, double sigmaNext) =>
        Mu[i] + (x - Mu[i]) * Math.Sqrt(S[i] * S[i] + sigmaNext * sigmaNext) / Math.Sqrt(S[i] * S[i] + sigma * sigma);

    /// <summary>Elementwise denoiser in plain doubles.</summary>
    public double Denoise(double x, int i, double sigma) => Mu[i] + S[i] * S[i] / (S[i] * S[i] + sigma * sigma) * (x - Mu[i]);

    /// <summary>n samples of the data [n, …] drawn with the generator.</summary>
    public Tensor Sample(int n, Generator generator)
    {
        var shape = new long[] { n }.Concat(SampleShape).ToArray();
        using var z = randn(shape, ScalarType.Float64, generator: generator);
        using var mu = tensor(Mu, new long[] { 1 }.Concat(SampleShape).ToArray(), ScalarType.Float64);
        using var s = tensor(S, new long[] { 1 }.Concat(SampleShape).ToArray(), ScalarType.Float64);
        return mu.Plus(s * z);
    }
}
