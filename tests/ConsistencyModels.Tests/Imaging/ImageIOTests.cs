using ConsistencyModels.Tests.Data;
using ConsistencyModels.Imaging;
using ConsistencyModels.Data;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Imaging;

public class ImageIOTests
{
    [Test]
    public void PngRoundTripIsExactOnTheEightBitGrid()
    {
        string dir = TestFiles.TempDir();
        try
        {
            // Values k/127.5 − 1 for integer k survive the 8-bit round trip exactly (up to float rounding).
            using var k = ScalarArithmetic.Arange(3 * 5 * 7, dtype: float32).reshape(3, 5, 7); // 0..104: no wrap at 256 needed
            using var img = k.Over(127.5).Minus(1);
            string f = Path.Combine(dir, "x.png");
            ImageIO.SavePng(img, f);
            using var back = ImageIO.Load(f);
            Assert.That(back.shape, Is.EqualTo(new long[] { 3, 5, 7 }));
            Assert.That(back.allclose(img, 0, 1e-6), Is.True);
            Assert.That(File.Exists(f + ".tmp"), Is.False, "temporary file renamed");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A PNG with transparency: alpha is composited over white (black strokes on transparency stay visible).</summary>
    [Test]
    public void PngAlphaIsCompositedOverWhite()
    {
        string dir = TestFiles.TempDir();
        try
        {
            string path = Path.Combine(dir, "rgba.png");
            byte[] rgba = [0, 0, 0, 255, 0, 0, 0, 0, 200, 100, 50, 128]; // opaque black, transparent black, half-covered colour
            using (var s = File.Create(path))
                new StbImageWriteSharp.ImageWriter().WritePng(rgba, 3, 1, StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha, s);
            var image = ImageIO.LoadPlanar(path);
            float a = 128 / 255f;
            float[][] expected = [[0, 0, 0], [255, 255, 255], [a * 200 + (1 - a) * 255, a * 100 + (1 - a) * 255, a * 50 + (1 - a) * 255]];
            for (int x = 0; x < 3; x++)
                for (int c = 0; c < 3; c++)
                    Assert.That(image.Data[c * 3 + x], Is.EqualTo(expected[x][c] / 127.5f - 1f).Within(1e-5), $"x={x} c={c}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void GridPlacesCellsWithPadding()
    {
        using var batch = ScalarArithmetic.Arange(3, dtype: float32).reshape(3, 1, 1, 1).expand(3, 3, 2, 2).contiguous().Times(0.25);
        using var g = ImageIO.Grid(batch, columns: 2, padding: 1, padValue: 1f);
        // 2 columns → width 1 + 2 + 1 + 2 + 1 = 7; 2 rows → height 7.
        Assert.That(g.shape, Is.EqualTo(new long[] { 3, 7, 7 }));
        Assert.That(g[0, 1, 1].item<float>(), Is.EqualTo(0f));     // image 0 at (1, 1)
        Assert.That(g[1, 2, 5].item<float>(), Is.EqualTo(0.25f));  // image 1 at (1, 4)..(2, 5)
        Assert.That(g[2, 4, 1].item<float>(), Is.EqualTo(0.5f));   // image 2 at row 2
        Assert.That(g[0, 4, 4].item<float>(), Is.EqualTo(1f));     // empty 4th cell keeps the pad value
        Assert.That(g[0, 0, 0].item<float>(), Is.EqualTo(1f));
    }

    [Test]
    public void LabelledGridDrawsTextAboveEachCell()
    {
        using var batch = torch.zeros(2, 3, 8, 12);
        using var plain = ImageIO.Grid(batch, 2, 2);
        using var labelled = ImageIO.Grid(batch, 2, 2, ["A1", "B"]);
        Assert.That(labelled.shape[1], Is.EqualTo(plain.shape[1] + 7), "one 7-pixel label line per row");
        // The label strip (rows 2..8) of cell 0 contains dark pixels, the pad rows around it do not.
        using var strip = labelled[0, 2..9, 2..14];
        Assert.That(strip.min().item<float>(), Is.EqualTo(-1f));
        using var top = labelled[0, 0..2, ..];
        Assert.That(top.min().item<float>(), Is.EqualTo(1f));
    }

    [Test]
    public void TileRepeatsTheImage()
    {
        using var img = torch.rand(3, 4, 5);
        using var t = ImageIO.Tile(img);
        Assert.That(t.shape, Is.EqualTo(new long[] { 3, 8, 10 }));
        using var q = t[.., 4..8, 5..10];
        Assert.That(TensorAssert.Same(q, img), Is.True);
    }

    [Test]
    public void SavePngRejectsWrongShapes()
    {
        using var bad = torch.zeros(4, 5, 5);
        Assert.Throws<ArgumentException>(() => ImageIO.SavePng(bad, Path.Combine(Path.GetTempPath(), "never.png")));
    }
}
