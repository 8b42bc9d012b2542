namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm train-classifier</c> (the structure class test's classifier).</summary>
/// <param name="Data">Real images (class folders or GIMP patterns; the default GIMP categories as for training).</param>
/// <param name="Out">Classifier file (.safetensors; its metadata JSON is written beside it).</param>
/// <param name="Crop">Side of the real training crops in pixels.</param>
/// <param name="Downsample">Average-pooling factor before the network.</param>
/// <param name="Iters">Optimizer steps.</param>
/// <param name="Batch">Crops per step.</param>
/// <param name="Lr">Peak learning rate.</param>
/// <param name="HeldOut">Held-out real crops scored at the end (the ceiling).</param>
/// <param name="Seed">Random seed.</param>
/// <param name="Force">Replace an existing --out file.</param>
/// <param name="Device">Compute device.</param>
public sealed record TrainClassifierOptions(
    string Data,
    string Out,
    int Crop,
    int Downsample,
    int Iters,
    int Batch,
    double Lr,
    int HeldOut,
    int Seed,
    bool Force,
    ComputeDevice Device);
