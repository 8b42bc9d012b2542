using System.Text.Json.Serialization;

namespace ConsistencyModels.Networks;

/// <summary>How the U-Net turns the scalar noise condition c_noise into a feature vector.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NoiseEmbeddingKind>))]
public enum NoiseEmbeddingKind
{
    /// <summary>Transformer-style sinusoids with geometric frequencies (ADM / DhariwalUNet); c_noise is scaled by 1000 first.</summary>
    [JsonStringEnumMemberName("positional")]
    Positional,

    /// <summary>Random Fourier features with fixed frequencies ~ N(0, 16²) (NCSN++ / SongUNet); the frequencies are stored with the weights.</summary>
    [JsonStringEnumMemberName("fourier")]
    Fourier,
}
