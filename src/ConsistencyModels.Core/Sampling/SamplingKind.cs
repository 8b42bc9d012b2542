using ConsistencyModels.Naming;

namespace ConsistencyModels.Sampling;

/// <summary>How a model is meant to be sampled (stored in <see cref="IO.ModelMetadata.Sampling"/>; decides
/// <see cref="SamplingPlan.DefaultSampler"/> and the few-step plans).</summary>
public enum SamplingKind
{
    /// <summary>A diffusion denoiser for tens of ODE steps (a teacher): Heun, 18 steps by default.</summary>
    [Name("ode")] Ode,

    /// <summary>A consistency function: multistep consistency sampling, 1 step by default.</summary>
    [Name("consistency")] Consistency,

    /// <summary>A denoiser distilled for a few Euler steps (rectified diffusion, progressive distillation).</summary>
    [Name("few-step")] FewStep,
}
