using System.Numerics;
using System.Runtime.InteropServices;

namespace ConsistencyModels.Runtime;

/// <summary>
/// Spherical linear interpolation between two noise vectors (Shoemake 1985): slerp(a, b; t) =
/// sin((1−t)θ)/sin θ · a + sin(tθ)/sin θ · b with cos θ = a·b / (|a||b|). Two independent standard-normal
/// vectors of dimension d are nearly orthogonal with norm ≈ √d; slerp keeps the norm there all the way,
/// whereas a straight lerp would shrink it by √2 at t = ½ and the network would see "too little noise"
/// (a washed-out texture) mid-way. Pure functions over spans; no allocation.
/// </summary>
public static class LatentSlerp
{
    /// <summary>cos θ between <paramref name="a"/> and <paramref name="b"/> (accumulated in double), clamped to [−1, 1]; 1 if either is zero.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static double CosAngle(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"vectors must have the same length, got {a.Length} and {b.Length}.", nameof(b));
        double ab = 0, aa = 0, bb = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            // Float partial sums per block of lanes, folded into doubles every block so 10⁶ terms stay accurate.
            const int Block = 256;
            for (int start = 0; start < va.Length; start += Block)
            {
                Vector<float> sab = default, saa = default, sbb = default;
                int end = Math.Min(va.Length, start + Block);
                for (int k = start; k < end; k++)
                {
                    sab += va[k] * vb[k];
                    saa += va[k] * va[k];
                    sbb += vb[k] * vb[k];
                }
                ab += Vector.Sum(sab);
                aa += Vector.Sum(saa);
                bb += Vector.Sum(sbb);
            }
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        if (aa == 0 || bb == 0) return 1;
        return Math.Clamp(ab / Math.Sqrt(aa * bb), -1.0, 1.0);
    }

    /// <summary>
    /// The weights (wa, wb) of slerp at <paramref name="t"/> ∈ [0, 1] for vectors at angle acos(<paramref name="cosAngle"/>):
    /// (1, 0) at t = 0 exactly and (0, 1) at t = 1; falls back to lerp weights when θ is too small for sin θ to divide.
    /// </summary>
    public static (double A, double B) Weights(double cosAngle, double t)
    {
        if (!(t >= 0 && t <= 1))
            throw new ArgumentOutOfRangeException(nameof(t), t, $"t must be in [0, 1], got {t}.");
        if (t == 0) return (1, 0);
        if (t == 1) return (0, 1);
        double theta = Math.Acos(Math.Clamp(cosAngle, -1.0, 1.0));
        double sinTheta = Math.Sin(theta);
        if (sinTheta < 1e-6) return (1 - t, t);
        return (Math.Sin((1 - t) * theta) / sinTheta, Math.Sin(t * theta) / sinTheta);
    }

    /// <summary>destination[i] = wa·a[i] + wb·b[i] (float arithmetic).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void Combine(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double wa, double wb, Span<float> destination)
    {
        if (a.Length != b.Length || destination.Length != a.Length)
            throw new ArgumentException($"a, b and destination must have the same length, got {a.Length}, {b.Length}, {destination.Length}.", nameof(destination));
        float fa = (float)wa, fb = (float)wb;
        int i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var vd = MemoryMarshal.Cast<float, Vector<float>>(destination);
            for (int k = 0; k < va.Length; k++) vd[k] = va[k] * fa + vb[k] * fb;
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++) destination[i] = a[i] * fa + b[i] * fb;
    }
}
