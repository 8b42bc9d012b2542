namespace ConsistencyModels.Runtime.Tests;

public class PlanarTextureConversionTests
{
    [Test]
    public void HandWorkedValuesMapAsDocumented()
    {
        // -1 → 0, 1 → 255, 0 → round(127.5) = 128 (MathF.Round: to even → 128), clamping outside [-1, 1].
        Assert.That(PlanarTextureConversion.ToUnorm8(-1f), Is.EqualTo(0));
        Assert.That(PlanarTextureConversion.ToUnorm8(1f), Is.EqualTo(255));
        Assert.That(PlanarTextureConversion.ToUnorm8(0f), Is.EqualTo(128));
        Assert.That(PlanarTextureConversion.ToUnorm8(-3f), Is.EqualTo(0));
        Assert.That(PlanarTextureConversion.ToUnorm8(3f), Is.EqualTo(255));
        Assert.That(PlanarTextureConversion.ToUnorm8(0.5f), Is.EqualTo(191)); // 0.75·255 = 191.25
    }

    [Test]
    public void PlanarBecomesInterleavedRgba()
    {
        // 2×1 image: R = [-1, 1], G = [1, -1], B = [0.5, -0.5].
        float[] planar = [-1, 1, 1, -1, 0.5f, -0.5f];
        var rgba = new byte[8];
        PlanarTextureConversion.ToRgba8(planar, 2, 1, rgba);
        Assert.That(rgba, Is.EqualTo(new byte[] { 0, 255, 191, 255, 255, 0, 64, 255 }).AsCollection);
    }
}
