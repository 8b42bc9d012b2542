using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics;

/// <summary>
/// Distance between the radially averaged log power spectra of two image sets: the mean power spectrum of each set
/// (over images and channels, per-image mean removed) is averaged over rings of integer radius 1..⌊min(H, W)/2⌋,
/// taken as log10, and the two curves are compared by their mean absolute difference (in decades).
/// Blur, missing fine detail or excess noise show up as a gap at high radii.
/// </summary>
public static class SpectrumDistance
{
    /// <summary>Mean |log10 P_a(r) − log10 P_b(r)| over radii 1..⌊min(H, W)/2⌋.</summary>
    public static double Compute(Tensor a, Tensor b)
    {
        MetricInputs.CheckBatch(a, nameof(a), minSide: 2);
        MetricInputs.CheckBatch(b, nameof(b), minSide: 2);
        MetricInputs.CheckSameImageSize(a, b, nameof(a), nameof(b));
        using var scope = torch.NewDisposeScope();
        var sa = RadialLogSpectrum(a);
        var sb = RadialLogSpectrum(b);
        return (sa[1..] - sb[1..]).abs().mean().item<double>();
    }

    /// <summary>log10 of the radially averaged mean power spectrum, index = integer radius 0..⌊min(H, W)/2⌋ (float64).</summary>
    public static Tensor RadialLogSpectrum(Tensor x)
    {
        MetricInputs.CheckBatch(x, nameof(x), minSide: 2);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long h = x.shape[2], w = x.shape[3];
        var xd = x.detach().to(float64).cpu();
        xd = xd - xd.mean([2, 3], keepdim: true);
        var power = torch.fft.fft2(xd).abs().Square().mean([0, 1]).Over(h * w);   // [H, W]
        // Integer frequency of each FFT bin (fftfreq·n): 0, 1, ..., −2, −1.
        var fy = torch.fft.fftfreq(h, d: 1.0 / h, dtype: float64).unsqueeze(1);
        var fx = torch.fft.fftfreq(w, d: 1.0 / w, dtype: float64).unsqueeze(0);
        var radius = fy.Square().Plus(fx.Square()).sqrt().round().to(int64).flatten();
        long rMax = Math.Min(h, w) / 2;
        var keep = radius.LessOrEqual(rMax);
        var r = radius.masked_select(keep);
        var p = power.flatten().masked_select(keep);
        var sum = torch.zeros(rMax + 1, dtype: float64).IndexAdd(0, r, p, 1.0);
        var count = torch.zeros(rMax + 1, dtype: float64).IndexAdd(0, r, torch.ones_like(p), 1.0);
        return (sum / count).ClampMin(1e-20).log10().MoveToOuterDisposeScope();
    }
}
