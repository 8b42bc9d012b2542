using ConsistencyModels.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Metrics;

public class DiversityAndNearestCropTests
{
    private static Tensor Constants(params double[] values) =>
        torch.tensor(values).reshape(values.Length, 1, 1, 1).expand(values.Length, 3, 4, 4).to(float32).contiguous();

    [Test]
    public void IdenticalSamplesHaveZeroDiversity()
    {
        using var one = MetricTestData.Crops("brick.png", 1, 3);
        using var same = one.expand(5, 3, 32, 32).contiguous();
        Assert.That(Diversity.MeanPairwiseDistance(same), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void PairwiseDistanceMatchesHandValue()
    {
        // Constant images 0, 0, 1: RMS distances of the 6 ordered pairs are 0, 1, 0, 1, 1, 1 → 4/6.
        using var x = Constants(0, 0, 1);
        Assert.That(Diversity.MeanPairwiseDistance(x), Is.EqualTo(4.0 / 6).Within(1e-9));
        // Against real {0, 0.5}: mean pairwise 0.5 → ratio 4/3.
        using var real = Constants(0, 0.5);
        Assert.That(Diversity.Ratio(x, real), Is.EqualTo(4.0 / 3).Within(1e-9));
    }

    [Test]
    public void NearestCropMatchesHandValuesAndFlagsCopies()
    {
        using var train = Constants(0, 1);
        using var real = Constants(0.25, 0.5);      // nearest distances 0.25, 0.5 → mean 0.375
        using var samples = Constants(0.9, 0.2);    // 0.1, 0.2 → mean 0.15
        var r = NearestCrop.Compute(samples, train, real);
        Assert.That(r.SampleToTrain, Is.EqualTo(0.15).Within(1e-7));
        Assert.That(r.RealToTrain, Is.EqualTo(0.375).Within(1e-7));
        Assert.That(r.Ratio, Is.EqualTo(0.4).Within(1e-6));
        using var copies = train.clone();
        Assert.That(NearestCrop.Compute(copies, train, real).Ratio, Is.EqualTo(0));
    }

    [Test]
    public void ReportHasTheSnakeCaseKeys()
    {
        using var real = MetricTestData.Crops("grass.png", 6, 1, 16);
        using var train = MetricTestData.Crops("grass.png", 6, 2, 16);
        using var samples = MetricTestData.Crops("grass.png", 6, 3, 16);
        var report = MetricsReport.Compute(samples, real, train, new SwdOptions { PatchesPerImage = 8, Directions = 32, MinResolution = 8 });
        var json = report.ToJsonObject();
        foreach (var key in new[] { "swd_real_mean", "swd_real_per_level", "swd_real_coarse", "swd_mean", "swd_per_level", "swd_coarse",
                     "spectrum_distance", "seam_error", "diversity", "nearest_crop" })
            Assert.That(json.ContainsKey(key), Is.True, key);
        Assert.That(json["swd_per_level"]!.AsArray(), Has.Count.EqualTo(2), "16 → 8");
        Assert.That((double)json["swd_mean"]!, Is.EqualTo(report.SwdMean));
        Assert.That((double)json["swd_real_coarse"]!, Is.EqualTo(report.SwdRealPerLevel[^1]));
        Assert.That(report.ToJson(), Does.Contain("\"nearest_crop\""));
    }
}
