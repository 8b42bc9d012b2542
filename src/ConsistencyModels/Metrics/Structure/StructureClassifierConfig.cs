namespace ConsistencyModels.Metrics.Structure;

/// <summary>Architecture and input of a <see cref="StructureClassifier"/> (JSON-serializable).</summary>
public sealed record StructureClassifierConfig
{
    /// <summary>Name of the extra output for images without the shapes of any class (<see cref="NoStructureIndex"/>).</summary>
    public const string NoStructureName = "(no structure)";

    /// <summary>Class names; the output index is the class. One more output, <see cref="NoStructureIndex"/>, follows them.</summary>
    public required string[] ClassNames { get; init; }

    /// <summary>
    /// The output index of "no structure": trained on phase-randomized real crops (each class's spectrum, no shapes), so
    /// a sample with the right grain and colours but none of the shapes is not counted as its class by elimination.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int NoStructureIndex => ClassNames.Length;

    /// <summary>Side of the real crops it was trained on, in pixels of the texture (before downsampling).</summary>
    public int CropSize { get; init; } = 128;

    /// <summary>Average-pooling factor applied before the network (128² crops are seen at 64²).</summary>
    public int Downsample { get; init; } = 2;

    /// <summary>Channels of the stem convolution (at the input resolution).</summary>
    public int StemChannels { get; init; } = 16;

    /// <summary>Channels of each stage; every stage halves the resolution (stride-2 conv, then a 3×3 conv).</summary>
    public int[] StageChannels { get; init; } = [32, 64, 128];

    /// <summary>The configuration as JSON (for comparisons and files).</summary>
    public string ToJsonText() => System.Text.Json.JsonSerializer.Serialize(this, StructureClassifierMetadata.JsonOptions);

    /// <summary>Throws <see cref="ArgumentException"/> unless the configuration can be built.</summary>
    public void Validate()
    {
        if (ClassNames is null || ClassNames.Length < 2)
            throw new ArgumentException("A structure classifier needs at least 2 classes.");
        Guard.AtLeast(CropSize, 8, nameof(CropSize));
        Guard.AtLeast(Downsample, 1, nameof(Downsample));
        if (CropSize % Downsample != 0)
            throw new ArgumentException($"CropSize {CropSize} must be a multiple of Downsample {Downsample}.");
        Guard.AtLeast(StemChannels, 1, nameof(StemChannels));
        if (StageChannels is null || StageChannels.Length == 0 || StageChannels.Any(c => c < 1))
            throw new ArgumentException("StageChannels must list at least one positive width.");
        if (CropSize / Downsample < 1 << StageChannels.Length)
            throw new ArgumentException($"{CropSize / Downsample} px input is too small for {StageChannels.Length} stride-2 stages.");
    }
}
