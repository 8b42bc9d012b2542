namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm data fetch gimp-patterns</c> and <c>cm data fetch freedoom-flats</c>.</summary>
/// <param name="Out">Folder to write the textures to (one subfolder per category or family).</param>
/// <param name="Categories">Pattern categories to keep; empty = all (with --all). GIMP patterns only.</param>
/// <param name="Force">Replace an existing, non-empty output folder.</param>
/// <param name="Source">Which set to fetch.</param>
public sealed record DataFetchOptions(
    string Out,
    IReadOnlyList<string> Categories,
    bool Force,
    DataFetchSource Source = DataFetchSource.GimpPatterns);

/// <summary>The texture sets <c>cm data fetch</c> knows, with their licences.</summary>
public enum DataFetchSource
{
    /// <summary>GIMP's patterns (Debian gimp-data, GPL-3+): the default model's data.</summary>
    GimpPatterns,

    /// <summary>Freedoom's 64×64 flats (Debian freedoom, BSD-3-Clause): a set a shipped model may be trained on.</summary>
    FreedoomFlats,
}
