namespace ConsistencyModels.Metrics.Structure;

/// <summary>Settings of <see cref="StructureClassifierTraining"/>; the defaults train the GIMP-pattern classifier in minutes on 2 CPU cores.</summary>
public sealed record StructureClassifierTrainingOptions
{
    /// <summary>Side of the random wrap-around real crops (with flips and quarter turns), before downsampling.</summary>
    public int CropSize { get; init; } = 128;

    /// <summary>Average-pooling factor before the network.</summary>
    public int Downsample { get; init; } = 2;

    /// <summary>Optimizer steps.</summary>
    public int Iterations { get; init; } = 600;

    /// <summary>Crops per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak Adam learning rate (linear warm-up, then cosine decay to 0).</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Linear warm-up steps.</summary>
    public int WarmupIterations { get; init; } = 30;

    /// <summary>Held-out real crops scored after training (the ceiling), drawn with their own seed.</summary>
    public int HeldOutCount { get; init; } = 600;

    /// <summary>Seed of the weights and of the training crops.</summary>
    public long Seed { get; init; }

    /// <summary>Channels of the stem convolution.</summary>
    public int StemChannels { get; init; } = 16;

    /// <summary>Channels per stride-2 stage.</summary>
    public int[] StageChannels { get; init; } = [32, 64, 128];
}
