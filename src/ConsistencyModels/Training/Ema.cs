using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Exponential moving averages of parameters: θ⁻ ← μ·θ⁻ + (1−μ)·θ (the CD target network and the sampling
/// EMA). Pure functions over two modules of the same architecture; parameters are matched by name.
/// </summary>
public static class Ema
{
    /// <summary>θ⁻ ← μ·θ⁻ + (1−μ)·θ for every parameter; buffers are copied.</summary>
    public static void Update(nn.Module target, nn.Module source, double rate)
    {
        Guard.InRange(rate, 0, 1, nameof(rate));
        using var _ = no_grad();
        var src = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in target.named_parameters())
        {
            if (!src.TryGetValue(name, out var s))
                throw new ArgumentException($"EMA source has no parameter '{name}': the two modules differ.");
            if (rate == 0) p.copy_(s);
            else p.MulInPlace(rate).AddInPlace(s, 1 - rate);
        }
        var srcBuffers = source.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        foreach (var (name, b) in target.named_buffers())
            if (srcBuffers.TryGetValue(name, out var s)) b.copy_(s);
    }

    /// <summary>θ⁻ ← θ (μ = 0).</summary>
    public static void Copy(nn.Module target, nn.Module source) => Update(target, source, 0);

    /// <summary>
    /// Makes <paramref name="target"/> a frozen copy of <paramref name="source"/>: weights copied, eval mode, no
    /// gradients. Every EMA, CD target and frozen teacher of the objectives starts this way.
    /// </summary>
    public static void InitializeFrozenCopy(nn.Module target, nn.Module source)
    {
        Copy(target, source);
        target.eval();
        foreach (var p in target.parameters()) p.requires_grad = false;
    }

    /// <summary>
    /// The warm-up rate min(μ, (1+k)/(10+k)) used for the sampling EMA, so short runs are not dominated by the
    /// initial weights.
    /// </summary>
    public static double WarmupRate(double rate, long step) => Math.Min(rate, (1.0 + step) / (10.0 + step));
}
