using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Preconditioning;

/// <summary>
/// A raw <see cref="UNet"/> F wrapped in a preconditioning (EDM's EDMPrecond, Karras et al. 2022, Table 1):
/// out(x; σ) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x; c_noise(σ), labels), with c_in = 1/√(σ²+σd²) and
/// c_noise = ¼·ln σ; subclasses choose c_skip and c_out. Coefficients are computed in the type of σ (float32 or
/// float64; anything else as float64), so σ = ε given in either type gives c_out = 0 exactly, then cast to the
/// type of x. Input σ is per sample, shape [B] (or a single value broadcast to the batch).
/// </summary>
public abstract class PreconditionedNetwork : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly UNet net;

    /// <summary>Wraps <paramref name="net"/> (registered as the submodule "net"; disposed with this module).</summary>
    protected PreconditionedNetwork(string name, UNet net, double sigmaData) : base(name)
    {
        ArgumentNullException.ThrowIfNull(net);
        Guard.Positive(sigmaData);
        this.net = net;
        SigmaData = sigmaData;
        RegisterComponents();
    }

    /// <summary>The raw network F.</summary>
    public UNet Net => net;

    /// <summary>σ_data, the assumed standard deviation of the data.</summary>
    public double SigmaData { get; }

    /// <summary>c_skip(σ) for σ as a float32 or float64 tensor.</summary>
    protected abstract Tensor CSkip(Tensor sigma);

    /// <summary>c_out(σ) for σ as a float32 or float64 tensor.</summary>
    protected abstract Tensor COut(Tensor sigma);

    /// <summary>
    /// c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x; ¼·ln σ, classLabels) for x [B, C, H, W], σ [B] (or one value), σ &gt; 0.
    /// </summary>
    /// <exception cref="ArgumentException">σ does not have one value per sample (or a single value).</exception>
    public override Tensor forward(Tensor x, Tensor sigma, Tensor? classLabels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(sigma);
        if (x.dim() != 4)
            throw new ArgumentException($"x must have shape [B, C, H, W], got [{string.Join(", ", x.shape)}].", nameof(x));
        long b = x.shape[0];
        if (sigma.numel() != b && sigma.numel() != 1)
            throw new ArgumentException($"sigma must hold one noise level per sample ({b}) or a single value, got shape [{string.Join(", ", sigma.shape)}].", nameof(sigma));
        using var scope = NewDisposeScope();
        var type = sigma.dtype is ScalarType.Float32 or ScalarType.Float64 ? sigma.dtype : ScalarType.Float64;
        var s = sigma.to(type, x.device).reshape(-1).expand(b);
        var c = Coefficients(s, x.dtype);
        var f = net.forward(x * c.CIn, c.CNoise, classLabels);
        var result = (c.CSkip * x).Plus(c.COut * f.to(x.dtype));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The coefficients <see cref="forward"/> uses at one noise level σ, computed the same way (in float64, then cast
    /// to <paramref name="type"/>): c_in, c_skip and c_out as [1, 1, 1, 1] and c_noise as [1], on
    /// <paramref name="device"/>. For compiled forwards (<see cref="Inference.TorchScriptDenoiser"/>) that must match this one.
    /// </summary>
    public PreconditioningCoefficients CoefficientsAt(double sigma, ScalarType type, Device device)
    {
        Guard.Positive(sigma);
        using var scope = NewDisposeScope();
        var result = Coefficients(ScalarArithmetic.Full([1], sigma, ScalarType.Float64, device), type);
        result.MoveToOuterDisposeScope();
        return result;
    }

    // The one place the coefficients are computed: in the type of σ [B], then cast to `type`; c_in, c_skip, c_out
    // shaped [B, 1, 1, 1] to broadcast over images, c_noise [B]. Tensors belong to the caller's dispose scope.
    private PreconditioningCoefficients Coefficients(Tensor s, ScalarType type)
    {
        long b = s.shape[0];
        return new PreconditioningCoefficients(
            EdmCoefficients.CIn(s, SigmaData).to(type).reshape(b, 1, 1, 1),
            CSkip(s).to(type).reshape(b, 1, 1, 1),
            COut(s).to(type).reshape(b, 1, 1, 1),
            EdmCoefficients.CNoise(s).to(type));
    }

    /// <summary>
    /// This network as a <see cref="Denoiser"/> (scalar σ shared by the batch) for the solvers and samplers.
    /// <paramref name="classLabels"/> (int64, one per sample or a single label for any batch size) is fixed for
    /// every call; null for an unconditional network. Gradients are recorded only if the caller has them enabled.
    /// The labels tensor is not copied: keep it alive while the delegate is used.
    /// </summary>
    public Denoiser AsDenoiser(Tensor? classLabels = null) => (x, sigma) =>
    {
        Guard.Positive(sigma);
        using var s = ScalarArithmetic.Full([1], sigma, ScalarType.Float64, x.device);
        if (classLabels is null || classLabels.numel() != 1 || x.shape[0] == 1)
            return forward(x, s, classLabels);
        using var labels = classLabels.reshape(1).expand(x.shape[0]);
        return forward(x, s, labels);
    };
}
