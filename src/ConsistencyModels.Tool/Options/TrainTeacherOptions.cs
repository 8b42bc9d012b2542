namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm train-teacher</c> (an EDM teacher, DESIGN.md).</summary>
public sealed record TrainTeacherOptions
{
    /// <summary>Image folder (PNG/JPEG, one subfolder per class) or GIMP pattern folder.</summary>
    public required string Data { get; init; }

    /// <summary>Network size preset.</summary>
    public NetworkPreset Config { get; init; } = NetworkPreset.Small;

    /// <summary>Training crop size in pixels (square, wrap-around).</summary>
    public int Crop { get; init; } = 32;

    /// <summary>Training iterations (total, including resumed ones).</summary>
    public int Iters { get; init; } = 20_000;

    /// <summary>Adam learning rate.</summary>
    public double Lr { get; init; } = 2e-4;

    /// <summary>Decay of the weight EMA that becomes the saved model.</summary>
    public double Ema { get; init; } = 0.999;

    /// <summary>Learning-rate warm-up iterations (null = min(1000, iters/10)).</summary>
    public int? Warmup { get; init; }

    /// <summary>Ignore class subfolders and train one unconditional model.</summary>
    public bool Unconditional { get; init; }

    /// <summary>Changes to the preset's network (width, levels, blocks, attention).</summary>
    public NetworkShape Shape { get; init; } = NetworkShape.None;

    /// <summary>Convolution layout and precision; null = <see cref="ConsistencyModels.Networks.ConvolutionComputes.TrainingDefault"/>.</summary>
    public ConsistencyModels.Networks.ConvolutionCompute? Compute { get; init; }

    /// <summary>A teacher model file whose weights start the run (null = fresh weights); its network replaces the preset.</summary>
    public string? Init { get; init; }

    /// <summary>Orientations of the training crops; null = dihedral, or the <see cref="Init"/> file's.</summary>
    public ConsistencyModels.Training.CropAugmentation? Augment { get; init; }

    /// <summary>The settings every training command shares.</summary>
    public required RunSettings Run { get; init; }
}
