using ConsistencyModels.Diffusion;
using ConsistencyModels.Losses;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Options;

/// <summary>
/// The parsed and validated options of <c>cm distill</c>. Every default comes from the method's record in
/// <c>Distill/DistillMethods</c> and is resolved when binding; an option that does not apply to <see cref="Method"/>
/// is null (giving it is an error).
/// </summary>
public sealed record DistillOptions
{
    /// <summary>The distillation / training method.</summary>
    public required TrainingMethod Method { get; init; }

    /// <summary>Teacher model file (null for methods without a teacher).</summary>
    public string? Teacher { get; init; }

    /// <summary>Training images (null for methods that read none).</summary>
    public string? Data { get; init; }

    /// <summary>Training iterations (total over all rounds / phases).</summary>
    public required int Iters { get; init; }

    /// <summary>Adam learning rate.</summary>
    public required double Lr { get; init; }

    /// <summary>Distance d of the loss.</summary>
    public required DistanceMetricKind Loss { get; init; }

    /// <summary>Loss weighting λ (one the method's loss honours).</summary>
    public required LossWeightingKind Weighting { get; init; }

    /// <summary>The method's N (its meaning: <c>DistillMethod.NMeaning</c>).</summary>
    public required int N { get; init; }

    /// <summary>Initial N of the discretization curriculum (ct, ict).</summary>
    public int? NStart { get; init; }

    /// <summary>Target-network EMA decay μ (cd) or μ₀ of its schedule (ct).</summary>
    public double? Ema { get; init; }

    /// <summary>Halving rounds (progressive).</summary>
    public int? Rounds { get; init; }

    /// <summary>Number of (noise, sample) pairs (rectified).</summary>
    public int? Pairs { get; init; }

    /// <summary>Diffusion form to retrain in (rectified).</summary>
    public DiffusionFormKind? Form { get; init; }

    /// <summary>Network preset (methods without a teacher; the others copy the teacher's architecture).</summary>
    public NetworkPreset? Config { get; init; }

    /// <summary>A consistency model whose weights start the student (and its EMA copies) instead of the teacher's.</summary>
    public string? Init { get; init; }

    /// <summary>Orientations of the training crops; null = the teacher's (dihedral without one).</summary>
    public ConsistencyModels.Training.CropAugmentation? Augment { get; init; }

    /// <summary>Layout and precision of the convolutions of the student, its target and the teacher.</summary>
    public ConsistencyModels.Networks.ConvolutionCompute Compute { get; init; } = ConsistencyModels.Networks.ConvolutionCompute.Float32;

    /// <summary>Training crop size; null = the teacher's crop.</summary>
    public int? Crop { get; init; }

    /// <summary>The settings every training command shares.</summary>
    public required RunSettings Run { get; init; }
}
