using System.Text.Json;
using ConsistencyModels.IO;
using ConsistencyModels.Naming;
using ConsistencyModels.Onnx;
using ConsistencyModels.Platform;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using ModelMetadata = ConsistencyModels.IO.ModelMetadata;

namespace ConsistencyModels.Runtime.Onnx;

/// <summary>
/// Textures from a model exported by <c>cm export --format onnx</c> (or exported in memory from a model file), run by
/// ONNX Runtime's CPU provider behind the same <see cref="ITextureSource"/> contract as <see cref="TextureGenerator"/>:
/// the same noise (libtorch's CPU generator seeded with the seed, z then z′; slerp between seeds for the phase), the
/// plan from the file's "cm.plan" metadata (1 or 2 evaluations), the result clamped to [−1, 1]. So a request gives the
/// texture TextureGenerator gives in float32, to float rounding (tested ≤ 1e-4). Measured faster than the libtorch
/// path on our CPU at every size from 64² to 256² (docs/RESULTS.md, "ONNX Runtime beside libtorch").
/// Inputs and outputs are bound once per size (OrtIoBinding over pinned buffers). Use from one thread at a time.
/// </summary>
public sealed class OnnxTextureSource : ITextureSource
{
    private const int CachedSeeds = 3;
    private readonly InferenceSession session;
    private readonly OnnxSamplingPlan plan;
    private readonly string[] classNames;
    private readonly bool conditional;
    private readonly int sizeMultiple;
    private readonly Generator generator = new(0, CPU);
    private readonly SeedNoiseCache cache = new(CachedSeeds);
    private readonly float[] sigma = new float[1];
    private readonly long[] label = new long[1];
    private readonly RunOptions runOptions = new();
    private float[] x = [], y = [], start = [], mix = [];
    private OrtValue? xValue, yValue, sigmaValue, labelValue;
    private OrtIoBinding? binding;
    private int width, height;
    private long frame;
    private bool disposed;

    /// <summary>Loads an exported ONNX model (its bytes) with <paramref name="threads"/> intra-op threads (no spin-waiting).</summary>
    /// <exception cref="ArgumentException">The file lacks the cm.plan / cm.metadata written by cm export.</exception>
    public OnnxTextureSource(byte[] onnxModel, string name = "model.onnx", int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var props = OnnxExporter.ReadMetadata(onnxModel);
        if (!props.TryGetValue(OnnxExporter.PlanKey, out var planJson) || !props.TryGetValue(OnnxExporter.MetadataKey, out var metadataJson))
            throw new ArgumentException($"{name}: not a model written by cm export (metadata '{OnnxExporter.PlanKey}' and '{OnnxExporter.MetadataKey}' missing).");
        ModelMetadata metadata;
        try
        {
            plan = OnnxSamplingPlan.FromJson(planJson);
            metadata = ModelMetadata.FromJson(metadataJson, name);
        }
        catch (Exception e) when (e is JsonException or ModelFormatException)
        {
            throw new ArgumentException($"{name}: its cm export metadata is invalid: {e.Message}", e);
        }
        GcStress.StartIfRequested();
        Metadata = metadata;
        Threads = threads;
        int classCount = metadata.Config.ClassCount;
        conditional = classCount > 0;
        classNames = metadata.ClassNames.Length == classCount ? metadata.ClassNames.ToArray() : Enumerable.Range(0, classCount).Select(i => $"class {i}").ToArray();
        sizeMultiple = metadata.Config.DownsamplingFactor;
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        session = new InferenceSession(onnxModel, options);
        Description = $"model {name}: {EnumNames.Of(metadata.Method)}, C={metadata.Config.BaseChannels}, "
            + $"{classCount} classes, cpu fp32 onnxruntime ({threads} thread{(threads == 1 ? "" : "s")})";
    }

    /// <summary>Exports a model file in memory and loads it.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is corrupt.</exception>
    /// <exception cref="ArgumentException">The model needs tens of steps (a diffusion teacher).</exception>
    public static OnnxTextureSource FromModelFile(string path, int threads = 1) =>
        new(ModelExport.Build(path).Bytes, Path.GetFileName(path), threads);

    /// <summary>The runtime's embedded default model, exported in memory.</summary>
    /// <exception cref="FileNotFoundException">The app does not reference ConsistencyModels.DefaultModel.</exception>
    public static OnnxTextureSource LoadDefault(int threads = 1)
    {
        using var stream = TextureGenerator.OpenDefaultModel(); // the ConsistencyModels.DefaultModel package (GPL-3+ weights)
        using var model = ModelFile.Load(stream, "default model", CPU);
        return new OnnxTextureSource(ModelExport.Build(model).Bytes, "default model", threads);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => classNames;

    /// <summary>The model's metadata (from the file).</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The sampling plan (from the file).</summary>
    public OnnxSamplingPlan Plan => plan;

    /// <summary>ONNX Runtime's intra-op threads (fixed at construction).</summary>
    public int Threads { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The request is invalid (steps, class, size not a multiple of the network's
    /// downsampling factor) or the destination is too small.</exception>
    public void Generate(in TextureRequest request, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        request.Validate(classNames.Length);
        Metadata.Config.ValidateImageSize(request.Height, request.Width);
        if (destination.Length < request.PlanarLength)
            throw new ArgumentException($"destination must hold 3×{request.Height}×{request.Width} = {request.PlanarLength} floats, got {destination.Length}.", nameof(destination));
        EnsureSize(request.Width, request.Height);
        frame++;
        bool two = request.Steps == 2;
        var step = two ? plan.TwoSteps : plan.OneStep;
        double k = Math.Floor(request.Phase), t = request.Phase - k;
        ulong seedA = unchecked(request.Seed + (ulong)(long)k);
        bool second = two && step.Noise != 0;
        var a = Entry(seedA, second);
        SeedNoise? b = t == 0 ? null : Entry(unchecked(seedA + 1), second, keep: a);

        // x_T = σmax·z (z slerped between the two seeds for a fractional phase).
        Noise(a.FirstSpan, b is null ? default : b.FirstSpan, t, (float)plan.NoiseScale, start);
        label[0] = request.ClassIndex;
        Evaluate(start, step.Sigmas[0]);
        if (two)
        {
            // The plan's transition x₁ = Input·x_T + Denoised·D₀ + Noise·z′ (SamplingPlan), no sampler formula here.
            float wx = (float)step.Input, wd = (float)step.Denoised;
            if (second)
            {
                Noise(a.SecondSpan, b is null ? default : b.SecondSpan, t, (float)step.Noise, mix);
                for (int i = 0; i < x.Length; i++) x[i] = wx * start[i] + wd * y[i] + mix[i];
            }
            else
            {
                for (int i = 0; i < x.Length; i++) x[i] = wx * start[i] + wd * y[i];
            }
            sigma[0] = (float)step.Sigmas[1];
            session.RunWithBinding(runOptions, binding!);
        }
        var result = y.AsSpan();
        for (int i = 0; i < result.Length; i++) destination[i] = Math.Clamp(result[i], -1f, 1f);
    }

    private void Evaluate(float[] input, double s)
    {
        input.CopyTo(x, 0);
        sigma[0] = (float)s;
        session.RunWithBinding(runOptions, binding!);
    }

    // scale·z, or scale·slerp(z_a, z_b, t) (the runtime's order: slerp in float, then the scale).
    private static void Noise(ReadOnlySpan<float> za, ReadOnlySpan<float> zb, double t, float scale, float[] destination)
    {
        if (t == 0) za.CopyTo(destination);
        else
        {
            var (wa, wb) = LatentSlerp.Weights(LatentSlerp.CosAngle(za, zb), t);
            LatentSlerp.Combine(za, zb, wa, wb, destination);
        }
        for (int i = 0; i < destination.Length; i++) destination[i] *= scale;
    }

    private SeedNoise Entry(ulong seed, bool needSecond, SeedNoise? keep = null) => cache.Get(seed, needSecond, generator, frame, keep);

    private void EnsureSize(int w, int h)
    {
        if (w == width && h == height) return;
        FreeBuffers();
        int n = 3 * w * h;
        x = new float[n];
        y = new float[n];
        start = new float[n];
        mix = new float[n];
        cache.Resize(h, w);
        long[] shape = [1, 3, h, w];
        xValue = OrtValue.CreateTensorValueFromMemory(x, shape);
        yValue = OrtValue.CreateTensorValueFromMemory(y, shape);
        sigmaValue = OrtValue.CreateTensorValueFromMemory(sigma, [1]);
        binding = session.CreateIoBinding();
        binding.BindInput(OnnxExporter.InputX, xValue);
        binding.BindInput(OnnxExporter.InputSigma, sigmaValue);
        if (conditional)
        {
            labelValue = OrtValue.CreateTensorValueFromMemory(label, [1]);
            binding.BindInput(OnnxExporter.InputClass, labelValue);
        }
        binding.BindOutput(OnnxExporter.OutputName, yValue);
        width = w;
        height = h;
    }

    private void FreeBuffers()
    {
        binding?.Dispose();
        xValue?.Dispose(); yValue?.Dispose(); sigmaValue?.Dispose(); labelValue?.Dispose();
        binding = null;
        xValue = yValue = sigmaValue = labelValue = null;
        cache.Clear();
        width = height = 0;
    }

    /// <summary>Frees the session, the bindings and the noise buffers.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        FreeBuffers();
        runOptions.Dispose();
        session.Dispose();
        generator.Dispose();
    }
}
