using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ConsistencyModels.Metrics.Structure;

/// <summary>
/// What the structure classifier sees: luma (ITU-R BT.601 weights), averaged down by an integer factor, then each
/// image standardized to zero mean and unit variance, so neither colour nor brightness nor contrast can tell a
/// class; only the arrangement of light and dark (shapes) can. <see cref="PhaseRandomized"/> makes the classifier's
/// "no structure" examples.
/// </summary>
public static class StructurePreprocessing
{
    private static readonly float[] Luma = [0.299f, 0.587f, 0.114f];
    private static readonly Scalar StdFloor = 1e-6.ToScalar();

    /// <summary>
    /// [N, 3, H, W] (any range) → [N, 1, H/<paramref name="downsample"/>, W/<paramref name="downsample"/>] float32, each
    /// image with mean 0 and standard deviation 1 (a constant image becomes 0). H and W must be multiples of the factor.
    /// </summary>
    public static Tensor Apply(Tensor images, int downsample)
    {
        using var gray = Gray(images, downsample);
        return Standardize(gray);
    }

    /// <summary>
    /// Phase randomization of preprocessed images [N, 1, h, w]: the same power spectrum (so the same grain, scale of
    /// blobs and orientation statistics) with random Fourier phases, which destroys shapes (edges, cells, veins, bolts);
    /// standardized again. The phases come from the FFT of real white noise, so the result is real.
    /// </summary>
    public static Tensor PhaseRandomized(Tensor standardized, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(standardized);
        using var scope = torch.NewDisposeScope();
        var x = standardized.detach().to(float32);
        var spectrum = torch.fft.fft2(x);
        var noise = torch.fft.fft2(torch.randn(x.shape, generator: generator).to(x.device));
        var phase = noise.div(noise.abs().clamp_min(StdFloor));
        var y = torch.fft.ifft2(spectrum.mul(phase)).real.contiguous();
        return Standardize(y).MoveToOuterDisposeScope();
    }

    private static Tensor Gray(Tensor images, int downsample)
    {
        ArgumentNullException.ThrowIfNull(images);
        Guard.AtLeast(downsample, 1, nameof(downsample));
        MetricInputs.CheckBatch(images, nameof(images), minSide: downsample);
        if (images.shape[2] % downsample != 0 || images.shape[3] % downsample != 0)
            throw new ArgumentException($"images are {images.shape[3]}x{images.shape[2]}, not a multiple of the downsampling factor {downsample}.", nameof(images));
        using var scope = torch.NewDisposeScope();
        var x = images.detach().to(float32);
        var weights = torch.tensor(Luma, new long[] { 1, 3, 1, 1 }).to(x.device);
        var gray = x.mul(weights).sum(1, keepdim: true);
        if (downsample > 1)
            gray = F.avg_pool2d(gray, downsample, downsample);
        return gray.MoveToOuterDisposeScope();
    }

    private static Tensor Standardize(Tensor gray)
    {
        using var scope = torch.NewDisposeScope();
        var mean = gray.mean([1, 2, 3], keepdim: true);
        var std = gray.std([1, 2, 3], keepdim: true, unbiased: false).clamp_min(StdFloor);
        return gray.sub(mean).div(std).MoveToOuterDisposeScope();
    }
}
