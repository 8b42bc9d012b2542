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
        return xt / form.Alpha(t);
    }

    /// <summary>The form's state x_t = α(t)·x for the EDM state x at σ = form.EdmSigma(t).</summary>
    public static Tensor FromEdm(IDiffusionForm form, Tensor x, double t)
    {
        ArgumentNullException.ThrowIfNull(form);
        return x * form.Alpha(t);
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
}
