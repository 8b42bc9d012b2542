using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Platform;

/// <summary>
/// Tensor arithmetic with numbers whose TorchSharp <see cref="Scalar"/>s stay alive for the native call.
/// TorchSharp turns a number into a finalizable Scalar and passes only its handle to libtorch, so a GC during the
/// call could free it (<c>t * 0.25</c>, <c>t + u</c> with its hidden alpha = 1). Each method here holds its Scalar
/// in a <c>using</c> variable (disposed after the call) or uses a cached one, and performs the same libtorch
/// operation TorchSharp's operator would, so results are bit-identical. The Scalar-lifetime analyzer
/// (src/ConsistencyModels.Analyzers) rejects the unsafe forms at build time.
/// </summary>
public static class ScalarArithmetic
{
    /// <summary>The integer 0 (TorchSharp's default start of <c>arange</c>).</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>The integer 1: the alpha TorchSharp passes for a plain add, and <c>arange</c>'s default step.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The integer 2 (the exponent of <c>square</c>).</summary>
    public static readonly Scalar Two = 2.ToScalar();

    /// <summary>a + b (TorchSharp's <c>a + b</c>: add with alpha 1).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + v.</summary>
    public static Tensor Plus(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.add(s, One);
    }

    /// <summary>a + s for a Scalar the caller keeps alive.</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, One);

    /// <summary>a − v.</summary>
    public static Tensor Minus(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.sub(s);
    }

    /// <summary>v − a (as TorchSharp computes it: −a + v).</summary>
    public static Tensor SubtractedFrom(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.negative().add(s, One);
    }

    /// <summary>a · v.</summary>
    public static Tensor Times(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.mul(s);
    }

    /// <summary>a / v.</summary>
    public static Tensor Over(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.div(s);
    }

    /// <summary>v / a (as TorchSharp computes it: v · (1/a)).</summary>
    public static Tensor DividedInto(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.reciprocal().mul(s);
    }

    /// <summary>a² (TorchSharp's <c>square</c>: pow 2).</summary>
    public static Tensor Square(this Tensor a) => a.pow(Two);

    /// <summary>a ← a + b.</summary>
    public static Tensor AddInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a ← a + alpha · b.</summary>
    public static Tensor AddInPlace(this Tensor a, Tensor b, double alpha)
    {
        using var s = alpha.ToScalar();
        return a.add_(b, s);
    }

    /// <summary>a ← a + v.</summary>
    public static Tensor AddInPlace(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.add_(s, One);
    }

    /// <summary>a ← a · v.</summary>
    public static Tensor MulInPlace(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.mul_(s);
    }

    /// <summary>a ← a / v.</summary>
    public static Tensor DivInPlace(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.div_(s);
    }

    /// <summary>a ← v everywhere.</summary>
    public static Tensor FillInPlace(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.fill_(s);
    }

    /// <summary>a clamped to [min, max].</summary>
    public static Tensor Clamp(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary>max(a, min).</summary>
    public static Tensor ClampMin(this Tensor a, double min)
    {
        using var lo = min.ToScalar();
        return a.clamp_min(lo);
    }

    /// <summary>a &gt; v, element-wise.</summary>
    public static Tensor Greater(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.gt(s);
    }

    /// <summary>a ≤ v, element-wise.</summary>
    public static Tensor LessOrEqual(this Tensor a, double v)
    {
        using var s = v.ToScalar();
        return a.le(s);
    }

    /// <summary>index_add with a scaled source: a.index_add(dim, index, alpha · source).</summary>
    public static Tensor IndexAdd(this Tensor a, long dim, Tensor index, Tensor source, double alpha)
    {
        using var s = alpha.ToScalar();
        return a.index_add(dim, index, source, s);
    }

    /// <summary>a + v for an integer v (keeps an integer tensor's type, as TorchSharp's <c>a + 1</c> does).</summary>
    public static Tensor Plus(this Tensor a, long v)
    {
        using var s = v.ToScalar();
        return a.add(s, One);
    }

    /// <summary>a − v for an integer v.</summary>
    public static Tensor Minus(this Tensor a, long v)
    {
        using var s = v.ToScalar();
        return a.sub(s);
    }

    /// <summary>v − a for an integer v.</summary>
    public static Tensor SubtractedFrom(this Tensor a, long v)
    {
        using var s = v.ToScalar();
        return a.negative().add(s, One);
    }

    /// <summary>a · v for an integer v (keeps an integer tensor's type).</summary>
    public static Tensor Times(this Tensor a, long v)
    {
        using var s = v.ToScalar();
        return a.mul(s);
    }

    /// <summary>a / v for an integer v (true division, as TorchSharp's).</summary>
    public static Tensor Over(this Tensor a, long v)
    {
        using var s = v.ToScalar();
        return a.div(s);
    }

    /// <summary>a clamped to [min, max] with integer bounds (keeps an integer tensor's type).</summary>
    public static Tensor Clamp(this Tensor a, long min, long max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary>a &gt; v, element-wise, for an integer v.</summary>
    public static Tensor Greater(this Tensor a, long v)
    {
        using var s = v.ToScalar();
        return a.gt(s);
    }

    /// <summary>a ≤ v, element-wise, for an integer v.</summary>
    public static Tensor LessOrEqual(this Tensor a, long v)
    {
        using var s = v.ToScalar();
        return a.le(s);
    }

    /// <summary>0, 1, …, stop − 1 (TorchSharp's <c>arange(stop)</c>).</summary>
    public static Tensor Arange(long stop, ScalarType? dtype = null, Device? device = null)
    {
        using var end = stop.ToScalar();
        return torch.arange(Zero, end, One, dtype, device);
    }

    /// <summary>A tensor of the given shape filled with v.</summary>
    public static Tensor Full(long[] size, double v, ScalarType? dtype = null, Device? device = null)
    {
        using var s = v.ToScalar();
        return torch.full(size, s, dtype, device);
    }
}
