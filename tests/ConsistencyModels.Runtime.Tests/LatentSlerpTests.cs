namespace ConsistencyModels.Runtime.Tests;

public class LatentSlerpTests
{
    [Test]
    public void EndpointsAreExact()
    {
        Assert.That(LatentSlerp.Weights(0.3, 0), Is.EqualTo((1.0, 0.0)));
        Assert.That(LatentSlerp.Weights(0.3, 1), Is.EqualTo((0.0, 1.0)));
    }

    [Test]
    public void OrthogonalUnitVectorsStayOnTheCircle()
    {
        // a = (1, 0), b = (0, 1): slerp(t) = (cos(tπ/2), sin(tπ/2)), hand-worked.
        float[] a = [1, 0], b = [0, 1];
        Assert.That(LatentSlerp.CosAngle(a, b), Is.EqualTo(0).Within(1e-15));
        foreach (var t in new[] { 0.25, 0.5, 0.9 })
        {
            var (wa, wb) = LatentSlerp.Weights(0, t);
            Assert.That(wa, Is.EqualTo(Math.Cos(t * Math.PI / 2)).Within(1e-12));
            Assert.That(wb, Is.EqualTo(Math.Sin(t * Math.PI / 2)).Within(1e-12));
            var d = new float[2];
            LatentSlerp.Combine(a, b, wa, wb, d);
            Assert.That(d[0] * d[0] + d[1] * d[1], Is.EqualTo(1f).Within(1e-6f));
        }
    }

    [Test]
    public void CosAngleMatchesTheDefinitionOnLongVectors()
    {
        var random = new Random(3);
        var a = new float[1003];
        var b = new float[1003];
        for (var i = 0; i < a.Length; i++) { a[i] = (float)random.NextDouble() - 0.3f; b[i] = (float)random.NextDouble() - 0.5f; }
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++) { ab += a[i] * (double)b[i]; aa += a[i] * (double)a[i]; bb += b[i] * (double)b[i]; }
        Assert.That(LatentSlerp.CosAngle(a, b), Is.EqualTo(ab / Math.Sqrt(aa * bb)).Within(1e-6));
        Assert.That(LatentSlerp.CosAngle(a, a), Is.EqualTo(1).Within(1e-9));
    }

    [Test]
    public void CombineIsTheWeightedSumAndParallelVectorsFallBackToLerp()
    {
        var a = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        var b = Enumerable.Range(0, 37).Select(i => (float)(2 * i)).ToArray();
        var d = new float[37];
        LatentSlerp.Combine(a, b, 0.25, 0.5, d);
        for (var i = 0; i < 37; i++) Assert.That(d[i], Is.EqualTo(0.25f * a[i] + 0.5f * b[i]));
        Assert.That(LatentSlerp.Weights(1, 0.3), Is.EqualTo((0.7, 0.3)));
        Assert.Throws<ArgumentException>(() => LatentSlerp.Combine(a, b, 1, 0, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatentSlerp.Weights(0, 1.5));
    }
}
