using ConsistencyModels.Distributed;
using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Distributed;

public sealed class GradientAveragerTests
{
    private static Parameter WithGrad(float[] values, float[] grad, long[] shape)
    {
        var p = new Parameter(tensor(values).reshape(shape));
        // d/dp sum(p * g) = g: gives p exactly the gradient g.
        using var g = tensor(grad).reshape(shape);
        (p * g).sum().backward();
        return p;
    }

    [Test]
    public void TwoSimulatedRanks_GetTheMeanOfTheirGradients_InEveryBucket()
    {
        // This rank's gradients and the "other rank's" gradients, hand-chosen.
        var mine = new[]
        {
            WithGrad([0, 0, 0, 0], [1, 2, 3, 4], [2, 2]),
            WithGrad([0, 0, 0], [10, 20, 30], [3]),
            WithGrad([0], [-5], [1]),
        };
        float[] other = [3, 2, 1, 0, 30, 20, 10, 5];
        var bucketSizes = new List<long>();
        long offset = 0;
        // Simulated transport: a SUM all-reduce with one other rank adds that rank's slice of the flat layout.
        void AllReduce(Tensor flat)
        {
            long n = flat.numel();
            bucketSizes.Add(n);
            using var o = tensor(other[(int)offset..(int)(offset + n)]);
            flat.AddInPlace(o);
            offset += n;
        }

        GradientAverager.Average(mine, worldSize: 2, bucketBytes: 5 * sizeof(float), AllReduce);

        Assert.That(bucketSizes, Is.EqualTo(new long[] { 4, 4 }), "cap of 5 values: [4], then [3 + 1]");
        Assert.That(mine[0].grad!.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 2, 2, 2 }));
        Assert.That(mine[1].grad!.data<float>().ToArray(), Is.EqualTo(new float[] { 20, 20, 20 }));
        Assert.That(mine[2].grad!.data<float>().ToArray(), Is.EqualTo(new float[] { 0 }));
        Assert.That(mine[0].grad!.shape, Is.EqualTo(new long[] { 2, 2 }));
        foreach (var p in mine) p.Dispose();
    }

    [Test]
    public void MissingGradient_ContributesZeros_AndStaysMissing()
    {
        using var withGrad = WithGrad([0, 0], [4, 6], [2]);
        using var noGrad = new Parameter(zeros(3));
        float[]? seen = null;
        GradientAverager.Average([noGrad, withGrad], 1, 1 << 20, flat => seen = flat.data<float>().ToArray());
        Assert.That(seen, Is.EqualTo(new float[] { 0, 0, 0, 4, 6 }));
        Assert.That(noGrad.grad, Is.Null);
        Assert.That(withGrad.grad!.data<float>().ToArray(), Is.EqualTo(new float[] { 4, 6 }), "world size 1: unchanged");
    }

    [Test]
    public void TensorBytes_IsAZeroCopyViewOfTheData()
    {
        // MpiSynchronizer hands tensor.bytes to MPI as the in-place buffer; that only works if it is not a copy.
        using var t = zeros(3);
        var span = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.bytes);
        span[1] = 7;
        Assert.That(t.data<float>().ToArray(), Is.EqualTo(new float[] { 0, 7, 0 }));
    }
}
