using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics;

/// <summary>
/// All sample-quality metrics of one evaluation. JSON keys are snake_case (<c>swd_real_mean</c>, <c>swd_real_per_level</c>,
/// <c>swd_real_coarse</c>, <c>swd_mean</c>, <c>swd_per_level</c>, <c>spectrum_distance</c>, <c>seam_error</c>,
/// <c>diversity</c>, <c>nearest_crop</c>, ...); callers add their own keys (NFE, timings) through <see cref="ToJsonObject"/>.
/// The <c>swd_real_*</c> keys are the real-normalized SWD; <c>swd_mean</c> and <c>swd_per_level</c> keep their old
/// meaning (each set normalized by its own statistics), so tables from before 2026-12-01 stay comparable.
/// </summary>
/// <param name="SwdRealMean">Real-normalized SWD, mean over pyramid levels (×10³).</param>
/// <param name="SwdRealPerLevel">Real-normalized SWD per level, finest first (×10³).</param>
/// <param name="SwdRealCoarse">Real-normalized SWD of the coarsest level (×10³).</param>
/// <param name="SwdMean">Per-set-normalized SWD, mean over pyramid levels (×10³; the SWD of older tables).</param>
/// <param name="SwdPerLevel">Per-set-normalized SWD per level, finest first (×10³).</param>
/// <param name="SwdCoarse">Per-set-normalized SWD of the coarsest level (×10³).</param>
/// <param name="SpectrumDistance">Radial log-spectrum distance (decades).</param>
/// <param name="SeamError">Seam/interior gradient ratio of the samples (1 = seamless).</param>
/// <param name="Diversity">Pairwise-distance ratio samples/real (1 = as diverse as the data).</param>
/// <param name="NearestCrop">Nearest-training-crop ratio samples/real (≪ 1 = copying).</param>
/// <param name="NearestCropSample">Mean nearest-training-crop distance of the samples.</param>
/// <param name="NearestCropReal">Mean nearest-training-crop distance of held-out real crops.</param>
public sealed record MetricsReport(
    double SwdRealMean,
    IReadOnlyList<double> SwdRealPerLevel,
    double SwdRealCoarse,
    double SwdMean,
    IReadOnlyList<double> SwdPerLevel,
    double SwdCoarse,
    double SpectrumDistance,
    double SeamError,
    double Diversity,
    double NearestCrop,
    double NearestCropSample,
    double NearestCropReal)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Evaluates generated <paramref name="samples"/> against held-out <paramref name="real"/> crops and the
    /// <paramref name="trainCrops"/> the model saw (all [N, 3, H, W] in [-1, 1], same H and W).
    /// </summary>
    public static MetricsReport Compute(Tensor samples, Tensor real, Tensor trainCrops, SwdOptions? swd = null)
    {
        var s = SlicedWasserstein.Compute(samples, real, swd);
        var nn = Metrics.NearestCrop.Compute(samples, trainCrops, real);
        return new MetricsReport(
            s.RealNormalized.Mean,
            s.RealNormalized.PerLevel,
            s.RealNormalized.Coarse,
            s.PerSet.Mean,
            s.PerSet.PerLevel,
            s.PerSet.Coarse,
            Metrics.SpectrumDistance.Compute(samples, real),
            Metrics.SeamError.Compute(samples),
            Metrics.Diversity.Ratio(samples, real),
            nn.Ratio,
            nn.SampleToTrain,
            nn.RealToTrain);
    }

    /// <summary>The report as a JSON object with snake_case keys (mutable, so callers can add fields).</summary>
    public JsonObject ToJsonObject() => JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();

    /// <summary>The report as indented JSON with snake_case keys.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
