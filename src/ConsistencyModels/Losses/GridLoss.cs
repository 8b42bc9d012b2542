namespace ConsistencyModels.Losses;

/// <summary>A loss on a fixed decreasing noise grid (CD, direct CD): the validated grid and the weighted distance.</summary>
public abstract class GridLoss
{
    private readonly double[] grid;

    /// <summary>Validates and keeps the grid (at least 2 levels, all &gt; 0, strictly decreasing).</summary>
    protected GridLoss(IReadOnlyList<double> sigmas, WeightedDistance distance)
    {
        ValidateGrid(sigmas, nameof(sigmas));
        ArgumentNullException.ThrowIfNull(distance);
        grid = sigmas.ToArray();
        Distance = distance;
    }

    /// <summary>The distance, weighting and σ_data: λ(σ)·d.</summary>
    public WeightedDistance Distance { get; }

    /// <summary>The noise grid (decreasing).</summary>
    public IReadOnlyList<double> Sigmas => grid;

    /// <summary>The grid for the loss's own arithmetic.</summary>
    protected double[] Grid => grid;

    internal static void ValidateGrid(IReadOnlyList<double> sigmas, string name)
    {
        if (sigmas is null || sigmas.Count < 2)
            throw new ArgumentException($"{name} must hold at least 2 noise levels, got {sigmas?.Count ?? 0}.", name);
        for (int i = 0; i < sigmas.Count; i++)
        {
            if (!(sigmas[i] > 0)) throw new ArgumentException($"{name}[{i}] must be > 0, got {sigmas[i]}.", name);
            if (i > 0 && !(sigmas[i] < sigmas[i - 1]))
                throw new ArgumentException($"{name} must be strictly decreasing, but {name}[{i}] = {sigmas[i]} >= {sigmas[i - 1]}.", name);
        }
    }
}
