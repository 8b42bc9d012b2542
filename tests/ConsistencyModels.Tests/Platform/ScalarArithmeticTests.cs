using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Platform;

/// <summary>Each kept-alive helper gives the same bits and type as the TorchSharp operator it replaces.</summary>
public class ScalarArithmeticTests
{
    private static float[] Bits(Tensor t) => t.data<float>().ToArray();

#pragma warning disable CM0001, CM0002 // the references: TorchSharp's own operators with their temporary Scalars
    [Test]
    public void MatchesTorchSharpOperatorsBitForBit()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var a = randn(new long[] { 64 }, generator: g) * 3;
        var b = randn(new long[] { 64 }, generator: g).abs() + 0.1;
        Assert.Multiple(() =>
        {
            Assert.That(Bits(a.Plus(b)), Is.EqualTo(Bits(a + b)));
            Assert.That(Bits(a.Plus(0.3)), Is.EqualTo(Bits(a + 0.3)));
            Assert.That(Bits(a.Minus(0.3)), Is.EqualTo(Bits(a - 0.3)));
            Assert.That(Bits(a.SubtractedFrom(0.3)), Is.EqualTo(Bits(0.3 - a)));
            Assert.That(Bits(a.Times(0.7)), Is.EqualTo(Bits(a * 0.7)));
            Assert.That(Bits(a.Over(0.7)), Is.EqualTo(Bits(a / 0.7)));
            Assert.That(Bits(b.DividedInto(0.7)), Is.EqualTo(Bits(0.7 / b)));
            Assert.That(Bits(a.Square()), Is.EqualTo(Bits(a.square())));
            Assert.That(Bits(a.Clamp(-1.0, 1.0)), Is.EqualTo(Bits(a.clamp(-1.0, 1.0))));
            Assert.That(Bits(a.ClampMin(0.5)), Is.EqualTo(Bits(a.clamp_min(0.5))));
            Assert.That(a.Greater(0).data<bool>().ToArray(), Is.EqualTo((a > 0).data<bool>().ToArray()));
        });
    }

    [Test]
    public void IntegerOperandsKeepIntegerTensors()
    {
        using var scope = NewDisposeScope();
        var i = arange(10, dtype: ScalarType.Int64);
        Assert.That(ScalarArithmetic.Arange(10, ScalarType.Int64).data<long>().ToArray(), Is.EqualTo(i.data<long>().ToArray()));
        Assert.That(i.Times(3).dtype, Is.EqualTo((i * 3).dtype));
        Assert.That(i.Plus(1).data<long>().ToArray(), Is.EqualTo((i + 1).data<long>().ToArray()));
        Assert.That(i.Clamp(2, 5).data<long>().ToArray(), Is.EqualTo(i.clamp(2, 5).data<long>().ToArray()));
    }
#pragma warning restore CM0001, CM0002

    [Test]
    public void InPlaceHelpersUpdateTheirTensor()
    {
        using var t = ScalarArithmetic.Full([3], 2.0, ScalarType.Float32);
        using var u = ones(3);
        t.MulInPlace(3).AddInPlace(u, 0.5).AddInPlace(1.0).DivInPlace(2);
        Assert.That(Bits(t), Is.EqualTo(new[] { 3.75f, 3.75f, 3.75f }));
        t.FillInPlace(-1);
        Assert.That(Bits(t), Is.EqualTo(new[] { -1f, -1f, -1f }));
    }
}
