namespace ConsistencyModels.Metrics;

/// <summary>Result of <see cref="NearestCrop.Compute"/>; distances are RMS per pixel value.</summary>
/// <param name="SampleToTrain">Mean distance from each sample to its nearest training crop.</param>
/// <param name="RealToTrain">Mean distance from each held-out real crop to its nearest training crop.</param>
/// <param name="Ratio">SampleToTrain ÷ RealToTrain: well below 1 means samples sit closer to training data than real data does (copying).</param>
public sealed record NearestCropResult(double SampleToTrain, double RealToTrain, double Ratio);
