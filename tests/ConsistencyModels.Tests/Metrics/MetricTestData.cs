using ConsistencyModels.Randomness;
using ConsistencyModels.Data;
using ConsistencyModels.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Metrics;

/// <summary>Small real image sets from the committed CC0 fixtures.</summary>
internal static class MetricTestData
{
    private static readonly Lazy<TextureDataset> Fixtures = new(() => TextureDataset.Load(TestFiles.FixtureDir));

    /// <summary><paramref name="n"/> random crops (no flips) of one fixture ("brick.png" or "grass.png").</summary>
    public static Tensor Crops(string name, int n, ulong seed, int size = 32)
    {
        var img = Fixtures.Value.Images.Single(i => i.Name == name).Pixels;
        var rng = new Xoshiro256StarStar(seed);
        var data = new float[n * 3 * size * size];
        for (int i = 0; i < n; i++)
            CropSampler.Crop(img, rng.NextInt(img.Height), rng.NextInt(img.Width), size, CropTransform.Identity, data.AsSpan(i * 3 * size * size, 3 * size * size));
        return torch.tensor(data, new long[] { n, 3, size, size });
    }
}
