using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Infrastructure;

/// <summary>Proves the native libtorch loads (the Debian 12 GLIBCXX fix is applied by the build).</summary>
public class TorchSharpLoadsTests
{
    [Test]
    public void MatrixProductRunsOnTheNativeBackend()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var b = tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        using var c = matmul(a, b);
        Assert.That(c.data<float>().ToArray(), Is.EqualTo(new float[] { 19, 22, 43, 50 }));
        TestContext.Out.WriteLine(ConsistencyModels.TorchInfo.Describe());
    }
}
