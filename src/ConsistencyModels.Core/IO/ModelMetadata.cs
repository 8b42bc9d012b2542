using System.Text.Encodings.Web;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ConsistencyModels.Diffusion;
using ConsistencyModels.Naming;
using ConsistencyModels.Networks;
using ConsistencyModels.Sampling;
using ConsistencyModels.Training;

namespace ConsistencyModels.IO;

/// <summary>
/// Everything needed to rebuild and use a model besides its weights. Stored as JSON in the safetensors
/// "__metadata__" under <see cref="ModelWeights.MetadataKey"/> ("cm.metadata") and beside the file as &lt;name&gt;.json for people.
/// </summary>
public sealed record ModelMetadata
{
    /// <summary>Version of this metadata layout; readers reject newer versions.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>JSON settings: camelCase names, indented, enums as lower-case strings. The resolver is the reflection
    /// one, named explicitly so that a trimmed app (where reflection is off by default) reads and writes it too; the
    /// members it reflects over are kept by <see cref="TypeInfo"/>'s DynamicDependency. (Not source generation: it
    /// resets init-only properties missing from the JSON to default, dotnet/runtime#84484, and old files omit some.)</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        TypeInfoResolver = CreateResolver(),
    };

    private static JsonTypeInfo<ModelMetadata> TypeInfo => (JsonTypeInfo<ModelMetadata>)JsonOptions.GetTypeInfo(typeof(ModelMetadata));

    [DynamicDependency(DynamicallyAccessedMemberTypes.All, typeof(ModelMetadata))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.All, typeof(UNetConfig))]
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "The resolver reflects over ModelMetadata and UNetConfig only; both are kept whole by the DynamicDependency above.")]
    private static DefaultJsonTypeInfoResolver CreateResolver() => new();

    /// <summary>Layout version (<see cref="CurrentFormatVersion"/> when written by this code).</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Teacher (EDM denoiser) or consistency model.</summary>
    public required ModelKind Kind { get; init; }

    /// <summary>The network architecture.</summary>
    public required UNetConfig Config { get; init; }

    /// <summary>σ_min = ε, the smallest noise level.</summary>
    public double SigmaMin { get; init; } = 0.002;

    /// <summary>σ_max, the noise level sampling starts from.</summary>
    public double SigmaMax { get; init; } = 80;

    /// <summary>σ_data of the preconditioning.</summary>
    public double SigmaData { get; init; } = 0.5;

    /// <summary>ρ of the Karras noise grid.</summary>
    public double Rho { get; init; } = 7;

    /// <summary>Class names, index = class label (empty for an unconditional model).</summary>
    public string[] ClassNames { get; init; } = [];

    /// <summary>The decreasing τ list of multistep consistency sampling after the first step from σ_max
    /// (e.g. one τ for 2-step sampling); empty if not chosen.</summary>
    public double[] MultistepTaus { get; init; } = [];

    /// <summary>How the model was made (teacher, cd, ct, ict, direct-cd, progressive, rectified; older files' strings,
    /// "edm" and "", are read as teacher and unknown).</summary>
    [JsonConverter(typeof(EnumNameJsonConverter<TrainingMethod>))]
    public TrainingMethod Method { get; init; }

    private readonly SamplingKind? sampling;

    /// <summary>
    /// How the model is sampled (ode, consistency, few-step), the input of <see cref="SamplingPlan"/>. Files written
    /// before it was stored, and metadata made in code without it, get <see cref="InferSampling"/>.
    /// </summary>
    [JsonConverter(typeof(EnumNameJsonConverter<SamplingKind>))]
    public SamplingKind Sampling
    {
        get => sampling ?? InferSampling(Kind, Method, SamplingSigmas);
        init => sampling = value;
    }

    /// <summary>
    /// The decreasing noise grid (ending at 0) a distilled denoiser was trained to be sampled on with Euler
    /// (progressive distillation, rectified diffusion); empty when any Karras grid will do.
    /// </summary>
    public double[] SamplingSigmas { get; init; } = [];

    /// <summary>Hash identifying the training data.</summary>
    public string DataHash { get; init; } = "";

    /// <summary>Crop size the model was trained on (0 if unknown); it generates any multiple of the downsampling factor.</summary>
    public int CropSize { get; init; }

    /// <summary>Training iterations done.</summary>
    public long TrainingIterations { get; init; }

    /// <summary>The diffusion form the model was trained in (ve, vp, subvp, flow; "flow-matching" is read as flow);
    /// the network always works in the EDM form x = x₀ + σ·n.</summary>
    [JsonConverter(typeof(EnumNameJsonConverter<DiffusionFormKind>))]
    public DiffusionFormKind DiffusionForm { get; init; } = DiffusionFormKind.Ve;

    /// <summary>The orientations the training crops were drawn in (dihedral, flips, none); files written before it was
    /// recorded read as dihedral, the only one there was.</summary>
    [JsonConverter(typeof(EnumNameJsonConverter<CropAugmentation>))]
    public CropAugmentation Augmentation { get; init; } = CropAugmentation.Dihedral;

    /// <summary>
    /// The sampling kind of metadata that does not state one: a consistency model samples with consistency steps; a
    /// denoiser distilled for a fixed Euler grid (<see cref="SamplingSigmas"/>) or by rectified or progressive
    /// distillation is a few-step denoiser; any other denoiser is an ODE model.
    /// </summary>
    public static SamplingKind InferSampling(ModelKind kind, TrainingMethod method, IReadOnlyList<double>? samplingSigmas) => kind switch
    {
        ModelKind.Consistency => SamplingKind.Consistency,
        ModelKind.Teacher => method is TrainingMethod.Rectified or TrainingMethod.Progressive || samplingSigmas is { Count: > 1 }
            ? SamplingKind.FewStep
            : SamplingKind.Ode,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown model kind"),
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        static void Fail(string message) => throw new ArgumentException($"Invalid model metadata: {message}");
        if (FormatVersion < 1 || FormatVersion > CurrentFormatVersion)
            Fail($"formatVersion {FormatVersion} is not supported (this code reads 1..{CurrentFormatVersion}).");
        if (!Enum.IsDefined(Kind)) Fail($"kind must be teacher or consistency, got {Kind}.");
        if (Config is null) Fail("config is missing.");
        Config!.Validate();
        if (!(SigmaMin > 0) || double.IsInfinity(SigmaMin)) Fail($"sigmaMin must be a finite number > 0, got {SigmaMin}.");
        if (!(SigmaMax > SigmaMin) || double.IsInfinity(SigmaMax)) Fail($"sigmaMax must be finite and > sigmaMin ({SigmaMin}), got {SigmaMax}.");
        if (!(SigmaData > 0) || double.IsInfinity(SigmaData)) Fail($"sigmaData must be a finite number > 0, got {SigmaData}.");
        if (!(Rho > 0) || double.IsInfinity(Rho)) Fail($"rho must be a finite number > 0, got {Rho}.");
        if (ClassNames is null) Fail("classNames must not be null.");
        if (ClassNames!.Length != Config.ClassCount && !(ClassNames.Length == 0))
            Fail($"classNames has {ClassNames.Length} entries but config.classCount is {Config.ClassCount}.");
        if (MultistepTaus is null) Fail("multistepTaus must not be null.");
        for (int i = 0; i < MultistepTaus!.Length; i++)
        {
            double t = MultistepTaus[i];
            if (!(t > SigmaMin && t < SigmaMax))
                Fail($"multistepTaus[{i}] = {t} must lie in (sigmaMin, sigmaMax) = ({SigmaMin}, {SigmaMax}).");
            if (i > 0 && !(t < MultistepTaus[i - 1]))
                Fail($"multistepTaus must be strictly decreasing, got [{string.Join(", ", MultistepTaus)}].");
        }
        if (!Enum.IsDefined(Method)) Fail($"method {(int)Method} is not defined.");
        if (!Enum.IsDefined(DiffusionForm)) Fail($"diffusionForm {(int)DiffusionForm} is not defined.");
        if (!Enum.IsDefined(Sampling)) Fail($"sampling {(int)Sampling} is not defined.");
        if (!Enum.IsDefined(Augmentation)) Fail($"augmentation {(int)Augmentation} is not defined.");
        if ((Kind == ModelKind.Consistency) != (Sampling == SamplingKind.Consistency))
            Fail($"sampling {EnumNames.Of(Sampling)} does not fit a {EnumNames.Of(Kind)} model (consistency models, and only they, sample with consistency steps).");
        if (SamplingSigmas is null) Fail("samplingSigmas must not be null.");
        if (CropSize < 0) Fail($"cropSize must be >= 0, got {CropSize}.");
        if (TrainingIterations < 0) Fail($"trainingIterations must be >= 0, got {TrainingIterations}.");
    }

    /// <summary>The JSON text (indented, camelCase).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, TypeInfo);

    /// <summary>Parses and validates metadata JSON; <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="ModelFormatException">The JSON is malformed, lacks required fields or is inconsistent.</exception>
    public static ModelMetadata FromJson(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelMetadata? m;
        try
        {
            m = JsonSerializer.Deserialize(json, TypeInfo);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{source}: the model metadata is not valid: {e.Message}", e);
        }
        if (m is null)
            throw new ModelFormatException($"{source}: the model metadata is null.");
        try
        {
            m.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{source}: {e.Message}", e);
        }
        return m;
    }

    /// <summary>Value equality including array contents.</summary>
    public bool Equals(ModelMetadata? other) =>
        other is not null && FormatVersion == other.FormatVersion && Kind == other.Kind && Equals(Config, other.Config)
        && SigmaMin.Equals(other.SigmaMin) && SigmaMax.Equals(other.SigmaMax) && SigmaData.Equals(other.SigmaData)
        && Rho.Equals(other.Rho) && (ClassNames ?? []).SequenceEqual(other.ClassNames ?? [])
        && (MultistepTaus ?? []).SequenceEqual(other.MultistepTaus ?? []) && Method == other.Method
        && DataHash == other.DataHash && CropSize == other.CropSize && TrainingIterations == other.TrainingIterations
        && DiffusionForm == other.DiffusionForm && Sampling == other.Sampling && Augmentation == other.Augmentation
        && (SamplingSigmas ?? []).SequenceEqual(other.SamplingSigmas ?? []);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Config, SigmaMin, SigmaMax, Method, DataHash, TrainingIterations);
}
