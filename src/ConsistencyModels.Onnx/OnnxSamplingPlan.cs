using System.Text.Json;
using System.Text.Json.Serialization;
using ConsistencyModels.IO;
using ConsistencyModels.Sampling;

namespace ConsistencyModels.Onnx;

/// <summary>
/// The 1- and 2-step sampling plan written into the ONNX file's metadata ("cm.plan"), so an engine can sample the
/// exported network exactly as the runtime's TextureGenerator does: x_T = <see cref="NoiseScale"/>·z with z ~ N(0, I)
/// [B, 3, H, W]; D₀ = model(x_T, σ₀); for 2 steps x₁ = <see cref="StepPlan.Input"/>·x_T + <see cref="StepPlan.Denoised"/>·D₀
/// + <see cref="StepPlan.Noise"/>·z′ (fresh noise z′, drawn only when Noise ≠ 0) and D₁ = model(x₁, σ₁): the library's
/// <see cref="PlanTransition"/> for both samplers (consistency: 0, 1, √(τ² − ε²); Euler: 1 + k, −k, 0 with
/// k = (σ₁ − σ₀)/σ₀), so an engine runs one rule and no sampler formula. The result is clamped to
/// [−1, 1]; display value rgb = x·0.5 + 0.5 (display-referred sRGB). Built from the same functions the runtime uses
/// (<see cref="SamplingPlan.For(ModelMetadata, int)"/>).
/// </summary>
public sealed record OnnxSamplingPlan
{
    /// <summary>"consistency" (multistep consistency sampling) or "euler" (a denoiser distilled for few Euler steps).</summary>
    public required string Sampler { get; init; }

    /// <summary>What the network's output is: "consistency-function" f(x, σ) or "denoiser" D(x; σ).</summary>
    public required string Output { get; init; }

    /// <summary>σmax: the starting noise x_T = NoiseScale·z.</summary>
    public required double NoiseScale { get; init; }

    /// <summary>ε = σmin (the consistency function's boundary: f(x, ε) = x).</summary>
    public required double SigmaMin { get; init; }

    /// <summary>The 1-step plan.</summary>
    public required StepPlan OneStep { get; init; }

    /// <summary>The 2-step plan.</summary>
    public required StepPlan TwoSteps { get; init; }

    /// <summary>How the [−1, 1] output becomes a colour.</summary>
    public string Display { get; init; } = "clamp(x, -1, 1) * 0.5 + 0.5 = display-referred sRGB (store in an sRGB texture to sample it linearly)";

    /// <summary>One plan: σ per evaluation and how the second input is formed (all 0 for 1 step).</summary>
    /// <param name="Sigmas">σ of each network evaluation, in order.</param>
    /// <param name="Input">Weight of the previous input x_T in the second input.</param>
    /// <param name="Denoised">Weight of the first output D₀.</param>
    /// <param name="Noise">Weight of fresh unit noise z′ (the re-noise rule).</param>
    public sealed record StepPlan(double[] Sigmas, double Input, double Denoised, double Noise);

    /// <summary>The plan for <paramref name="metadata"/>: the library's <see cref="SamplingPlan"/> for 1 and 2 steps (the
    /// plans the runtime executes), written out for engines.</summary>
    /// <exception cref="ArgumentException">The model is a diffusion teacher needing tens of steps.</exception>
    public static OnnxSamplingPlan For(ModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Sampling == SamplingKind.Ode)
            throw new ArgumentException($"the model is a diffusion teacher (method '{Naming.EnumNames.Of(metadata.Method)}') that needs tens of steps; "
                + "export a model made for 1-2 steps: cm distill --method cd, ct, ict, direct-cd (consistency) or rectified, progressive (few-step).");
        var one = SamplingPlan.For(metadata, 1);
        var two = SamplingPlan.For(metadata, 2);
        bool consistency = two.Sampler == SamplerKind.Consistency;
        var transition = two.Transitions[0];
        return new OnnxSamplingPlan
        {
            Sampler = Naming.EnumNames.Of(two.Sampler),
            Output = consistency ? "consistency-function" : "denoiser",
            NoiseScale = two.StartScale,
            SigmaMin = metadata.SigmaMin,
            OneStep = new StepPlan(one.Sigmas.ToArray(), 0, 0, 0),
            TwoSteps = new StepPlan(two.Sigmas.ToArray(), transition.Input, transition.Denoised, transition.Noise),
        };
    }

    /// <summary>The JSON stored in the ONNX metadata (camelCase).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses the JSON of <see cref="ToJson"/>.</summary>
    public static OnnxSamplingPlan FromJson(string json) =>
        JsonSerializer.Deserialize<OnnxSamplingPlan>(json, JsonOptions) ?? throw new JsonException("the plan is null");

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
