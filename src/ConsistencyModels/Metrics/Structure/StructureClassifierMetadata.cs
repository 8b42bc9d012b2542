using System.Text.Encodings.Web;
using System.Text.Json;

namespace ConsistencyModels.Metrics.Structure;

/// <summary>
/// What a structure classifier file says about itself: the architecture, how it was trained and its accuracy on
/// held-out real crops (the ceiling a generator's samples can reach). Stored as JSON in the safetensors metadata
/// under <see cref="StructureClassifierFile.MetadataKey"/> and beside the file as &lt;name&gt;.json.
/// </summary>
public sealed record StructureClassifierMetadata
{
    /// <summary>JSON settings: camelCase, indented.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Architecture and input.</summary>
    public required StructureClassifierConfig Config { get; init; }

    /// <summary>Optimizer steps trained.</summary>
    public int Iterations { get; init; }

    /// <summary>Crops per step.</summary>
    public int BatchSize { get; init; }

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; }

    /// <summary>Seed of weights and crops.</summary>
    public long Seed { get; init; }

    /// <summary>The <see cref="Data.DataHash"/> of the training data.</summary>
    public string DataHash { get; init; } = "";

    /// <summary>Held-out real crops scored.</summary>
    public int HeldOutCount { get; init; }

    /// <summary>Share of held-out real crops assigned to their class (the ceiling).</summary>
    public double HeldOutAccuracy { get; init; }

    /// <summary>Held-out accuracy per class name.</summary>
    public Dictionary<string, double> HeldOutPerClass { get; init; } = [];

    /// <summary>Share of phase-randomized held-out crops (each class's spectrum, no shapes) assigned to "no structure".</summary>
    public double PhaseRandomizedRejected { get; init; }

    /// <summary>Mean training loss over the last 50 steps.</summary>
    public double FinalLoss { get; init; }

    /// <summary>Wall time of the training, seconds.</summary>
    public double TrainSeconds { get; init; }

    /// <summary>The JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and validates; <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="IO.ModelFormatException">Not valid classifier metadata.</exception>
    public static StructureClassifierMetadata FromJson(string json, string source)
    {
        try
        {
            var m = JsonSerializer.Deserialize<StructureClassifierMetadata>(json, JsonOptions)
                ?? throw new IO.ModelFormatException($"{source}: the classifier metadata is empty.");
            m.Config.Validate();
            return m;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new IO.ModelFormatException($"{source}: invalid structure classifier metadata: {e.Message}", e);
        }
    }
}
