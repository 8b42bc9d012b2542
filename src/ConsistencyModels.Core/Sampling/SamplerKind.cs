using ConsistencyModels.Naming;

namespace ConsistencyModels.Sampling;

/// <summary>How to turn noise into a sample with a model.</summary>
public enum SamplerKind
{
    /// <summary>EDM's Heun (2nd order), NFE = 2·steps − 1.</summary>
    [Name("heun")] Heun,
    /// <summary>Euler (= DDIM in EDM form), NFE = steps.</summary>
    [Name("euler")] Euler,
    /// <summary>EDM's stochastic sampler (S_churn = 40, S_tmin = 0.05, S_tmax = 50, S_noise = 1.003).</summary>
    [Name("stochastic")] Stochastic,
    /// <summary>DPM-Solver++(2M), NFE = steps.</summary>
    [Name("dpm++2m")] DpmPlusPlus2M,
    /// <summary>Multistep consistency sampling, NFE = steps.</summary>
    [Name("consistency")] Consistency,
}
