namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm data fetch gimp-patterns</c>.</summary>
/// <param name="Out">Folder to write the patterns to (one subfolder per category).</param>
/// <param name="Categories">Pattern categories to keep; empty = all (with --all).</param>
/// <param name="Force">Replace an existing, non-empty output folder.</param>
public sealed record DataFetchOptions(
    string Out,
    IReadOnlyList<string> Categories,
    bool Force);
