namespace ConsistencyModels.Tool.Options;

/// <summary>The distillation / consistency-training methods of <c>cm distill</c> (DESIGN.md).</summary>
public enum DistillMethod
{
    /// <summary>Consistency distillation (Song et al. 2023): one teacher Heun step, EMA target.</summary>
    [CliName("cd")] Cd,

    /// <summary>Consistency training (Song et al. 2023): no teacher, EMA target, N grows 2→150.</summary>
    [CliName("ct")] Ct,

    /// <summary>Improved consistency training (Song &amp; Dhariwal 2023): no EMA, pseudo-Huber, N doubles 10→1280.</summary>
    [CliName("ict")] Ict,

    /// <summary>Direct CD (seed 003): regress on the teacher's full ODE solution down to ε.</summary>
    [CliName("direct-cd")] DirectCd,

    /// <summary>Progressive distillation (Salimans &amp; Ho 2022): halve the step count each round.</summary>
    [CliName("progressive")] Progressive,

    /// <summary>Rectified diffusion (seed 002): retrain on fixed (noise, teacher sample) pairs.</summary>
    [CliName("rectified")] Rectified,
}
