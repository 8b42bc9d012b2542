using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Diffusion;

/// <summary>
/// Maps a state of any diffusion form to the EDM form and back (Karras et al. 2022, Eq. 4):
/// x = x_t/α(t), σ = σ_t(t)/α(t); x_t = α(t)·x. Pure functions; tensors returned are new.
/// </summary>
public static class EdmMapping
{
    /// <summary>The EDM state x = x_t/α(t).</summary>
    public static Tensor ToEdm(IDiffusionForm form, Tensor xt, double t)
    {
        ArgumentNullException.ThrowIfNull(form);
        return xt.Over(form.Alpha(t));
    }

    /// <summary>The form's state x_t = α(t)·x for the EDM state x at σ = form.EdmSigma(t).</summary>
    public static Tensor FromEdm(IDiffusionForm form, Tensor x, double t)
    {
        ArgumentNullException.ThrowIfNull(form);
        return x.Times(form.Alpha(t));
    }

    /// <summary>The EDM noise level σ = σ_t(t)/α(t) (same as <see cref="IDiffusionForm.EdmSigma"/>).</summary>
    public static double Sigma(IDiffusionForm form, double t)
    {
        ArgumentNullException.ThrowIfNull(form);
        return form.EdmSigma(t);
    }

    /// <summary>The form's time for the EDM noise level σ.</summary>
    public static double Time(IDiffusionForm form, double sigma)
    {
        ArgumentNullException.ThrowIfNull(form);
        return form.TimeForEdmSigma(sigma);
    }

    /// <summary>
    /// The form's PF-ODE velocity dx_t/dt = α'(t)·x̂₀ + σ_t'(t)·ε̂ for a clean estimate x̂₀ and noise estimate ε̂
    /// (with the true x₀ and ε it is the flow-matching / rectified-flow regression target).
    /// </summary>
    public static Tensor Velocity(IDiffusionForm form, double t, Tensor x0, Tensor eps)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(x0);
        ArgumentNullException.ThrowIfNull(eps);
        TensorGuard.SameShape(x0, eps, nameof(x0), nameof(eps));
        return x0.Times(form.AlphaDerivative(t)).Plus(eps.Times(form.SigmaTDerivative(t)));
    }

    /// <summary>
    /// x̂₀ and ε̂ of a form's state from an EDM denoiser: x̂₀ = D(x_t/α; σ_t/α), ε̂ = (x_t − α·x̂₀)/σ_t (σ_t &gt; 0).
    /// </summary>
    public static (Tensor X0, Tensor Eps) Predict(IDiffusionForm form, Solvers.Denoiser denoiser, Tensor xt, double t)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(denoiser);
        ArgumentNullException.ThrowIfNull(xt);
        double a = form.Alpha(t), s = form.SigmaT(t);
        Guard.Positive(s, "sigmaT(t)");
        using var x = xt.Over(a);
        var x0 = denoiser(x, s / a);
        var eps = (xt - x0.Times(a)).Over(s);
        return (x0, eps);
    }
}
