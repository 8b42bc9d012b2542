namespace ConsistencyModels.Data;

/// <summary>Options for <see cref="TextureDataset.Load"/>.</summary>
public sealed record TextureDatasetOptions
{
    /// <summary>
    /// For GIMP pattern folders: the category subfolders to use (case-insensitive), or null for all.
    /// Ignored for image folders.
    /// </summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Reject images whose smaller side is below this (0 = accept any size).</summary>
    public int MinSize { get; init; }

    /// <summary>The categories of GIMP's pattern set used by the default model (Wood and Legacy are left out).</summary>
    public static IReadOnlyList<string> DefaultGimpCategories { get; } =
        ["Stone", "Fabric", "Animal", "Paper", "Plant", "Sky", "Water", "Food"];
}
