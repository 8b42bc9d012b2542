using ConsistencyModels.Naming;

namespace ConsistencyModels.Training;

/// <summary>How a model was made (stored in <see cref="IO.ModelMetadata.Method"/>). The distillation methods and
/// their defaults are listed once, in the tool's method table (<c>ConsistencyModels.Tool/Distill/DistillMethods.cs</c>).</summary>
public enum TrainingMethod
{
    /// <summary>Not recorded (metadata written before the method was stored, or a model made in memory).</summary>
    [Name("unknown", "")] Unknown,

    /// <summary>An EDM diffusion teacher (<c>cm train-teacher</c>).</summary>
    [Name("teacher", "edm")] Teacher,

    /// <summary>Consistency distillation (Song et al. 2023).</summary>
    [Name("cd")] Cd,

    /// <summary>Consistency training (Song et al. 2023).</summary>
    [Name("ct")] Ct,

    /// <summary>Improved consistency training (Song &amp; Dhariwal 2023).</summary>
    [Name("ict")] Ict,

    /// <summary>Direct consistency distillation (seed 003).</summary>
    [Name("direct-cd")] DirectCd,

    /// <summary>Progressive distillation (Salimans &amp; Ho 2022).</summary>
    [Name("progressive")] Progressive,

    /// <summary>Rectified diffusion (seed 002).</summary>
    [Name("rectified")] Rectified,
}
