using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics.Structure;

/// <summary>
/// Adam (Kingma and Ba 2015, bias-corrected) written with explicit scalars that live through each native call, so a
/// garbage collection in the middle of a step cannot free one (TorchSharp's own optimizers pass implicit ones;
/// DESIGN.md "finalizable Scalars").
/// </summary>
internal sealed class ClassifierAdam : IDisposable
{
    private readonly IReadOnlyList<Tensor> parameters;
    private readonly Tensor[] m;
    private readonly Tensor[] v;
    private readonly double beta1;
    private readonly double beta2;
    private readonly double eps;
    private readonly Scalar beta1Scalar;
    private readonly Scalar beta2Scalar;
    private readonly Scalar oneMinusBeta1;
    private readonly Scalar oneMinusBeta2;
    private long step;

    public ClassifierAdam(IEnumerable<Tensor> parameters, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        this.parameters = parameters.ToArray();
        m = this.parameters.Select(p => torch.zeros_like(p)).ToArray();
        v = this.parameters.Select(p => torch.zeros_like(p)).ToArray();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        beta1Scalar = beta1.ToScalar();
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta1 = (1 - beta1).ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters)
            p.grad?.zero_();
    }

    /// <summary>One update with learning rate <paramref name="lr"/> from the current gradients.</summary>
    public void Step(double lr)
    {
        step++;
        double bias1 = 1 - Math.Pow(beta1, step);
        double bias2 = 1 - Math.Pow(beta2, step);
        using var stepSize = (-lr * Math.Sqrt(bias2) / bias1).ToScalar();
        using var epsScalar = (eps * Math.Sqrt(bias2)).ToScalar();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var g = parameters[i].grad;
            if (g is null) continue;
            m[i].mul_(beta1Scalar).add_(g, oneMinusBeta1);
            v[i].mul_(beta2Scalar).addcmul_(g, g, oneMinusBeta2);
            // p −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε√(1−β2ᵗ)) = lr · m̂ / (√v̂ + ε).
            using var denom = v[i].sqrt().add_(epsScalar);
            parameters[i].addcdiv_(m[i], denom, stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var t in m) t.Dispose();
        foreach (var t in v) t.Dispose();
        beta1Scalar.Dispose();
        beta2Scalar.Dispose();
        oneMinusBeta1.Dispose();
        oneMinusBeta2.Dispose();
    }
}
