using ConsistencyModels.Data;
using ConsistencyModels.Tests.Data;

namespace ConsistencyModels.Tests.Metrics.Structure;

/// <summary>
/// Class folders of small tiling PNGs for the structure classifier: stripes, checkers and dots, each image with its
/// own random foreground and background colours (so colour says nothing about the class).
/// </summary>
internal static class SyntheticTextures
{
    public const int Side = 32;

    /// <summary>Writes <paramref name="perClass"/> images per class into class subfolders of <paramref name="dir"/>.</summary>
    public static void WriteShapes(string dir, int perClass, int seed)
    {
        var rng = new Random(seed);
        Write(dir, "stripes", perClass, rng, (y, x) => (x / 4) % 2 == 0);
        Write(dir, "checkers", perClass, rng, (y, x) => ((x / 4) + (y / 4)) % 2 == 0);
        Write(dir, "dots", perClass, rng, (y, x) => Sq((x % 8) - 3.5) + Sq((y % 8) - 3.5) < 5);
    }

    /// <summary>
    /// Two classes with the same structure (stripes) that differ only in colour and contrast: dark red with little
    /// contrast, bright blue with full contrast.
    /// </summary>
    public static void WriteColourOnly(string dir, int perClass, int seed)
    {
        var rng = new Random(seed);
        // No pixel noise here: with noise, the ratio of contrast to noise would itself be a visible (structural) difference.
        Write(dir, "dull-red", perClass, rng, (y, x) => (x / 4) % 2 == 0, fg: [120, 40, 40], bg: [100, 40, 40], noise: 0);
        Write(dir, "vivid-blue", perClass, rng, (y, x) => (x / 4) % 2 == 0, fg: [20, 60, 250], bg: [250, 250, 255], noise: 0);
    }

    private static double Sq(double v) => v * v;

    private static void Write(string dir, string cls, int count, Random rng, Func<int, int, bool> on, byte[]? fg = null, byte[]? bg = null, int noise = 6)
    {
        string folder = Path.Combine(dir, cls);
        Directory.CreateDirectory(folder);
        for (int i = 0; i < count; i++)
        {
            var f = fg ?? RandomColour(rng);
            var b = bg ?? RandomColour(rng);
            if (fg is null && f.Zip(b, (p, q) => Math.Abs(p - q)).Sum() < 120) b = f.Select(v => (byte)(255 - v)).ToArray();
            var rgb = new byte[Side * Side * 3];
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++)
                {
                    var c = on(y, x) ? f : b;
                    for (int k = 0; k < 3; k++) rgb[(y * Side + x) * 3 + k] = (byte)Math.Clamp(c[k] + rng.Next(-noise, noise + 1), 0, 255);
                }
            TestFiles.Png(Path.Combine(folder, $"{i}.png"), Side, Side, rgb);
        }
    }

    private static byte[] RandomColour(Random rng) => [(byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)];

    /// <summary>Training options small enough for a test (32² crops at full resolution, narrow network).</summary>
    public static ConsistencyModels.Metrics.Structure.StructureClassifierTrainingOptions SmallOptions(int iterations = 150) => new()
    {
        CropSize = 32,
        Downsample = 1,
        Iterations = iterations,
        BatchSize = 16,
        LearningRate = 3e-3,
        WarmupIterations = 10,
        HeldOutCount = 120,
        StemChannels = 8,
        StageChannels = [16, 32],
        Seed = 1,
    };

    /// <summary>Loads a folder written above.</summary>
    public static TextureDataset Load(string dir) => TextureDataset.Load(dir);
}
