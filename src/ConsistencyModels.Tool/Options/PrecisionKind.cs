using ConsistencyModels.Networks;

namespace ConsistencyModels.Tool.Options;

/// <summary>The number format the network runs in while sampling (training is always float32).</summary>
public enum PrecisionKind
{
    /// <summary>float32: the format models are trained and stored in.</summary>
    [CliName("fp32")] Float32,

    /// <summary>bfloat16 weights and activations, as the runtime uses on CPUs with native bf16.</summary>
    [CliName("bf16")] BFloat16,
}

/// <summary>Maps <see cref="PrecisionKind"/> to the library's <see cref="NetworkPrecision"/>.</summary>
internal static class PrecisionKinds
{
    public static NetworkPrecision ToNetwork(this PrecisionKind kind) =>
        kind == PrecisionKind.BFloat16 ? NetworkPrecision.BFloat16 : NetworkPrecision.Float32;
}
