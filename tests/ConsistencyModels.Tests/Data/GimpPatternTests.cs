using ConsistencyModels.Data;

namespace ConsistencyModels.Tests.Data;

public class GimpPatternTests
{
    [Test]
    public void ParsesSyntheticRgbPattern()
    {
        // 2x3 RGB, pixel (y, x) = (10y + x, 100 + y, 200 + x).
        var px = new byte[3 * 2 * 3];
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 2; x++)
            {
                int p = (y * 2 + x) * 3;
                px[p] = (byte)(10 * y + x);
                px[p + 1] = (byte)(100 + y);
                px[p + 2] = (byte)(200 + x);
            }
        var pat = GimpPattern.Parse(TestFiles.Pattern("Test Ä", 2, 3, 3, px), "mem");
        Assert.That(pat.Name, Is.EqualTo("Test Ä"));
        Assert.That((pat.Width, pat.Height, pat.BytesPerPixel), Is.EqualTo((2, 3, 3)));
        var planar = pat.ToPlanar();
        // Channel 0 at (y=2, x=1) = 21 → 21/127.5 − 1; channel 2 at (0, 1) = 201.
        Assert.That(planar.Data[0 * 6 + 2 * 2 + 1], Is.EqualTo(21 / 127.5f - 1f));
        Assert.That(planar.Data[1 * 6 + 1 * 2 + 0], Is.EqualTo(101 / 127.5f - 1f));
        Assert.That(planar.Data[2 * 6 + 0 * 2 + 1], Is.EqualTo(201 / 127.5f - 1f));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void GrayAndAlphaVariantsBecomeRgb(int bpp)
    {
        // 2x1 pattern; first byte of each pixel is the gray / red value; alpha (last of 2 or 4) is composited over white:
        // pixel 0 opaque, pixel 1 at alpha 51/255 = 0.2 (so its value is 0.2·v + 0.8·255).
        var px = new byte[2 * bpp];
        for (int i = 0; i < px.Length; i++)
            px[i] = (byte)(50 + i);
        bool hasAlpha = bpp is 2 or 4;
        if (hasAlpha)
        {
            px[bpp - 1] = 255;
            px[2 * bpp - 1] = 51;
        }
        var planar = GimpPattern.Parse(TestFiles.Pattern("g", 2, 1, bpp, px), "mem").ToPlanar();
        for (int x = 0; x < 2; x++)
            for (int c = 0; c < 3; c++)
            {
                int valueByte = bpp <= 2 ? 50 + x * bpp : 50 + x * bpp + c;
                float a = !hasAlpha || x == 0 ? 1f : 0.2f;
                float expected = (a * valueByte + (1 - a) * 255f) / 127.5f - 1f;
                Assert.That(planar.Data[c * 2 + x], Is.EqualTo(expected).Within(1e-6), $"x={x} c={c}");
            }
    }

    [Test]
    public void RejectsCorruptPatterns()
    {
        var good = TestFiles.Pattern("ok", 2, 2, 3, new byte[12]);
        var truncated = good[..^1];
        var badMagic = (byte[])good.Clone();
        badMagic[20] = (byte)'X';
        var badBpp = TestFiles.Pattern("ok", 2, 2, 5, new byte[20]);
        var badVersion = TestFiles.Pattern("ok", 2, 2, 3, new byte[12], version: 2);
        var hugeHeader = TestFiles.Pattern("ok", 2, 2, 3, new byte[12], headerSizeOverride: 100000);
        var noNul = TestFiles.Pattern("ok", 2, 2, 3, new byte[12], headerSizeOverride: 26); // header ends before the NUL
        var zeroSize = TestFiles.Pattern("ok", 0, 2, 3, Array.Empty<byte>());
        foreach (var (bytes, why) in new[] { (truncated, "truncated"), (badMagic, "magic"), (badBpp, "bpp"), (badVersion, "version"),
                     (hugeHeader, "header size"), (noNul, "NUL"), (zeroSize, "size"), (good[..10], "short") })
        {
            var ex = Assert.Throws<InvalidDataException>(() => GimpPattern.Parse(bytes, "/some/file.pat"), why);
            Assert.That(ex!.Message, Does.Contain("/some/file.pat"), why);
        }
    }

    [Test]
    public void ReadNamesTheFileOnCorruptInput()
    {
        string dir = TestFiles.TempDir();
        string f = Path.Combine(dir, "bad.pat");
        File.WriteAllBytes(f, new byte[] { 0, 0, 0, 30, 0, 0, 0, 1 });
        var ex = Assert.Throws<InvalidDataException>(() => GimpPattern.Read(f));
        Assert.That(ex!.Message, Does.Contain(f));
        Directory.Delete(dir, true);
    }

    [Test]
    public void ReadsARealGimpPatternIfPresent()
    {
        const string root = "/work/data/gimp-patterns";
        string f = Path.Combine(root, "Stone", "pink_marble.pat");
        if (!File.Exists(f))
            Assert.Ignore($"{f} not present (run the GIMP pattern fetch).");
        var pat = GimpPattern.Read(f);
        Assert.That(pat.Name, Is.EqualTo("Pink Marble"));
        Assert.That((pat.Width, pat.Height, pat.BytesPerPixel), Is.EqualTo((128, 128, 3)));
        Assert.That(pat.Pixels.Length, Is.EqualTo(128 * 128 * 3));
        Assert.That(pat.Pixels.Distinct().Count(), Is.GreaterThan(50), "a photo texture has many distinct values");
    }
}
