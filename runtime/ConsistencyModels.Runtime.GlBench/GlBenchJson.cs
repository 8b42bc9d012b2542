using System.Text.Json.Serialization;

namespace ConsistencyModels.Runtime.GlBench;

/// <summary>Source-generated JSON for the result dictionary (the trimmed publish has no reflection serializer).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(List<Dictionary<string, object?>>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(int))]
internal sealed partial class GlBenchJson : JsonSerializerContext;
