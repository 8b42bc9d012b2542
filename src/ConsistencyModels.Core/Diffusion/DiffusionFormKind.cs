using ConsistencyModels.Naming;

namespace ConsistencyModels.Diffusion;

/// <summary>The diffusion forms x_t = α_t·x₀ + σ_t·ε a model can be trained in (<see cref="DiffusionForms.Create"/>).</summary>
public enum DiffusionFormKind
{
    /// <summary>Variance exploding: α = 1, σ_t = t (EDM's own form).</summary>
    [Name("ve")] Ve,

    /// <summary>Variance preserving: α = √ᾱ_t, σ = √(1 − ᾱ_t).</summary>
    [Name("vp")] Vp,

    /// <summary>Sub-VP (Song et al. 2021).</summary>
    [Name("subvp")] SubVp,

    /// <summary>Flow matching / rectified flow: α = 1 − t, σ_t = t.</summary>
    [Name("flow", "flow-matching")] Flow,
}

/// <summary>Making a form from its kind, and the form-dependent noise-level maps used in training.</summary>
public static class DiffusionForms
{
    /// <summary>The form of <paramref name="kind"/>.</summary>
    public static IDiffusionForm Create(DiffusionFormKind kind) => kind switch
    {
        DiffusionFormKind.Ve => new VeForm(),
        DiffusionFormKind.Vp => new VpForm(),
        DiffusionFormKind.SubVp => new SubVpForm(),
        DiffusionFormKind.Flow => new FlowMatchingForm(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown diffusion form"),
    };

    /// <summary>The EDM σ(t) for t = <paramref name="u"/> ∈ (0, 1) mapped linearly onto the form's time range; VE's open
    /// range is capped at the time of <paramref name="sigmaMax"/>. Rectified diffusion draws its σ this way.</summary>
    public static double SigmaOfUniformTime(IDiffusionForm form, double u, double sigmaMax)
    {
        ArgumentNullException.ThrowIfNull(form);
        double hi = double.IsFinite(form.TimeMax) ? form.TimeMax : form.TimeForEdmSigma(sigmaMax);
        double t = form.TimeMin + u * (hi - form.TimeMin);
        return form.EdmSigma(t);
    }
}
