namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm export</c>.</summary>
/// <param name="Model">The distilled model file (.safetensors).</param>
/// <param name="Out">The file to write.</param>
/// <param name="Format">The output format.</param>
public sealed record ExportOptions(string Model, string Out, ExportFormat Format);
