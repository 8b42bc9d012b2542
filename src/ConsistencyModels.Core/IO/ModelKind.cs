using System.Text.Json.Serialization;
using ConsistencyModels.Naming;

namespace ConsistencyModels.IO;

/// <summary>What a model file holds, which decides the preconditioning it is wrapped in on load.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelKind>))]
public enum ModelKind
{
    /// <summary>An EDM denoiser D(x; σ) (wrapped in <c>EdmPrecond</c>), used as a teacher or with ODE solvers.</summary>
    [JsonStringEnumMemberName("teacher")]
    [Name("teacher")] Teacher,

    /// <summary>A consistency function f(x, σ) (wrapped in <c>ConsistencyPrecond</c>, ε = SigmaMin).</summary>
    [JsonStringEnumMemberName("consistency")]
    [Name("consistency")] Consistency,
}
