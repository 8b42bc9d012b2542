namespace ConsistencyModels.Tool.Options;

/// <summary>The samplers of <c>cm sample</c> and <c>cm eval</c> (library <c>Solvers/</c>).</summary>
public enum SamplerKind
{
    /// <summary>Heun's 2nd-order PF-ODE solver (NFE = 2·steps − 1).</summary>
    [CliName("heun")] Heun,

    /// <summary>Euler (= DDIM in the EDM form), NFE = steps.</summary>
    [CliName("euler")] Euler,

    /// <summary>EDM's stochastic sampler (churn + Heun).</summary>
    [CliName("stochastic")] Stochastic,

    /// <summary>DPM-Solver++(2M).</summary>
    [CliName("dpm++2m")] DpmPlusPlus2M,

    /// <summary>(Multistep) consistency sampling, NFE = steps.</summary>
    [CliName("consistency")] Consistency,
}
