using ConsistencyModels.Sampling;
using ConsistencyModels.Networks;
namespace ConsistencyModels.Tool.Options;

/// <summary>The parsed and validated options of <c>cm eval</c> (the metrics of DESIGN.md).</summary>
/// <param name="Model">Model file to evaluate.</param>
/// <param name="Data">Real images to compare with.</param>
/// <param name="Steps">Sampling steps; null = the model's default.</param>
/// <param name="Sampler">Sampler; null = the model's default.</param>
/// <param name="Count">Number of generated samples (and of real crops).</param>
/// <param name="Size">Sample and crop size in pixels.</param>
/// <param name="Json">JSON result file (swd_mean, swd_per_level, spectrum_distance, seam_error, diversity, nfe, ...); null = table only.</param>
/// <param name="Grid">PNG grid of the evaluated samples; null = none.</param>
/// <param name="Teacher">Teacher model for the ODE error E; null = skip E.</param>
/// <param name="Real">Also score a second disjoint set of real crops (the SWD floor).</param>
/// <param name="Seed">Random seed.</param>
/// <param name="Device">Compute device.</param>
/// <param name="Precision">Number format of the network while sampling.</param>
/// <param name="Churn">S_churn of the stochastic sampler; null = its default.</param>
/// <param name="Classifier">Structure classifier (cm train-classifier) for the structure class test; null = skip it.</param>
/// <param name="UniformReal">Draw the real sets uniformly over images, as before 2026-12-01 (reproduces older tables), instead of class-balanced.</param>
/// <param name="Pictures">PNG: per class, the real pattern and the first generated samples, each tiled 2×2; null = none.</param>
public sealed record EvalOptions(
    string Model,
    string Data,
    int? Steps,
    SamplerKind? Sampler,
    int Count,
    int Size,
    string? Json,
    string? Grid,
    string? Teacher,
    bool Real,
    int Seed,
    ComputeDevice Device,
    NetworkPrecision Precision = NetworkPrecision.Float32,
    double? Churn = null,
    string? Classifier = null,
    string? Pictures = null,
    bool UniformReal = false);
