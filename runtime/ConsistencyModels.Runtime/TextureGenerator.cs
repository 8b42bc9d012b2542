using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using ConsistencyModels.IO;
using ConsistencyModels.Naming;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Inference;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime;

/// <summary>
/// Generates textures with a distilled model kept resident on the device (CUDA when available, else CPU) in eval
/// mode without gradients: 1 or 2 network evaluations per texture, any size that is a multiple of the network's
/// downsampling factor (the U-Net is fully convolutional; with circular padding the result tiles). It executes the
/// library's <see cref="SamplingPlan"/> for the model (consistency sampling for consistency models, Euler for
/// few-step denoisers such as rectified diffusion), the same plan <c>cm sample</c> and <see cref="ModelSampler"/> use;
/// this class holds buffers, noise and threads, and no sampling formula of its own.
/// <para>
/// Noise (the documented construction, identical to <see cref="ModelSampler.Generate"/>): a CPU
/// <see cref="Generator"/> seeded with the seed draws z ~ N(0, I) of shape [1, 3, H, W] and then, when the plan
/// re-noises, z′ of the same shape. x₀ = <see cref="SamplingPlan.StartScale"/>·z; D₀ = model(x₀, σ₀); 2 steps:
/// x₁ = a·x₀ + b·D₀ + c·z′ with the plan's <see cref="PlanTransition"/> and the result D₁ = model(x₁, σ₁); the result is
/// clamped to [−1, 1]. So at <see cref="TextureRequest.Phase"/> 0 the texture equals ModelSampler's sample for the same
/// seed, steps and class.
/// </para>
/// <para>
/// Animation: at phase p the noise is slerp(z(seed + ⌊p⌋), z(seed + ⌊p⌋ + 1), p − ⌊p⌋) (and the same for z′), so the
/// texture moves smoothly through latent space, one new seed per unit of phase. Noises of recent seeds are cached,
/// so a frame only draws new noise when it crosses a whole phase.
/// </para>
/// <para>
/// Per frame: noise, slerp, the compiled forward and the copy-out use preallocated tensors, native argument cells and
/// spans: a steady-state frame allocates no managed memory. The module forward (<c>compile: false</c>) runs inside a dispose scope so its temporaries are freed every frame (TorchSharp allocates
/// a managed wrapper per op there). Buffers are reallocated only when the size changes. Use from one thread at a time.
/// </para>
/// <para>
/// Precision: with <see cref="NetworkPrecision.Auto"/> (the default) the network runs in bfloat16 on a CPU with
/// native bf16, where it measured faster at every size from 64² up once the thread count is tuned, and in float32
/// otherwise (<see cref="Precision"/>); noise, σ coefficients and the output stay float32, and the quality is the
/// same (docs/RESULTS.md). The compiled forward keeps bf16 copies of the weights beside the float32 module; without
/// it the module itself is converted (a <see cref="LoadedModel"/> passed in included).
/// Pass <see cref="NetworkPrecision.Float32"/> for results identical to <see cref="ModelSampler"/>.
/// </para>
/// <para>
/// Threads (CPU): each texture size gets the libtorch thread count measured fastest for it during its first frames
/// (<see cref="ThreadCountTuner"/>; small textures usually run faster on one thread, large ones on all), unless
/// <see cref="Threads"/> fixes it.
/// </para>
/// <para>
/// Native memory: the first generator tunes glibc's allocator to keep freed libtorch buffers for reuse
/// (<see cref="Platform.NativeAllocator"/>), which saves the page faults of re-allocating activations every frame.
/// </para>
/// <para>
/// Compiled forward: with <c>compile: true</c> (the default), each evaluation is one
/// native call of a <see cref="TorchScriptDenoiser"/> (equal to the module's forward to float rounding) into a
/// preallocated output: 0 bytes of managed garbage per evaluation instead of ≈ 44 KB, and no per-op TorchSharp overhead.
/// </para>
/// </summary>
public sealed partial class TextureGenerator : ITextureSource
{
    /// <summary>Name of the default model's resource in the <see cref="DefaultModelAssemblyName"/> assembly.</summary>
    public const string DefaultModelResource = IO.DefaultModelResource.ResourceName;

    /// <summary>The assembly (and package) that embeds the default model: a package of its own, because its weights are
    /// GPL-3.0-or-later (trained on GIMP's patterns) while this package is MIT. Reference it to use
    /// <see cref="LoadDefault"/>.</summary>
    public const string DefaultModelAssemblyName = IO.DefaultModelResource.AssemblyName;

    private const int CachedSeeds = 3;
    private readonly LoadedModel loaded;
    private readonly bool ownsModel;
    private readonly PreconditionedNetwork model;
    private readonly string[] classNames;
    private readonly Tensor?[] labels;
    private readonly SamplingPlan[] plans;               // [steps − 1]: the library's plans for 1 and 2 steps
    private readonly Tensor[] firstSigma;                // σ of the first evaluation, [steps − 1], float64 [1]
    private readonly Tensor secondSigma;                 // σ of the second evaluation of the 2-step plan
    private readonly Scalar inputWeight, denoisedWeight; // the 2-step plan's transition: a and b of x₁ = a·x₀ + b·D₀ + c·z′
    private readonly bool scalesDenoised, addsInput, renoises;
    private readonly Scalar[] startScale;                // x₀ = StartScale·z, [steps − 1]
    private readonly Scalar renoiseScalar;               // c
    private readonly Scalar minusOne;
    private readonly Scalar plusOne;
    private readonly Generator generator;
    private readonly TorchScriptDenoiser? compiled;      // in Precision: the module's own weights, or bf16 copies
    private readonly PreconditioningCoefficients?[] atFirst = new PreconditioningCoefficients?[2];
    private readonly PreconditioningCoefficients? atSecond;
    private readonly SeedNoiseCache cache = new(CachedSeeds);
    private readonly bool onCpu;
    private Tensor? mixFirst, mixSecond;     // CPU slerp results [1, 3, H, W]
    private Tensor? inputFirst, inputSecond; // device: σmax·z and √(τ²−ε²)·z′
    private Tensor? staging;                 // CPU copy of a device result
    private Tensor? output;                  // device: the compiled forward's result [1, 3, H, W]
    private readonly ThreadCountTuner? tuner; // CPU only
    private int? threadsOverride;
    private int width, height;
    private long frame;
    private bool disposed;

    /// <summary>Loads a consistency model file onto <paramref name="device"/> (default: <see cref="DefaultDevice"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is corrupt or not a consistency model.</exception>
    public TextureGenerator(string path, Device? device = null, NetworkPrecision precision = NetworkPrecision.Auto, bool compile = true)
        : this(ModelFile.Load(path, device ?? DefaultDevice), ownsModel: true, Path.GetFileName(path), precision, compile)
    {
    }

    /// <summary>Loads a consistency model from a stream (e.g. an embedded resource); <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The data is corrupt or not a consistency model.</exception>
    public TextureGenerator(Stream stream, string source, Device? device = null, NetworkPrecision precision = NetworkPrecision.Auto, bool compile = true)
        : this(ModelFile.Load(stream, source, device ?? DefaultDevice), ownsModel: true, source, precision, compile)
    {
    }

    /// <summary>Wraps an already loaded consistency model or few-step denoiser (disposed with this generator when
    /// <paramref name="ownsModel"/>).</summary>
    /// <exception cref="ModelFormatException">The model is a diffusion teacher (tens of steps), not made for 1–2.</exception>
    public TextureGenerator(LoadedModel model, bool ownsModel = false, string? name = null, NetworkPrecision precision = NetworkPrecision.Auto,
        bool compile = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        GcStress.StartIfRequested(); // CM_GC_STRESS=1: any app using the runtime runs under GC stress too
        try
        {
            if (model.Metadata.Sampling == SamplingKind.Ode)
                throw new ModelFormatException($"{name ?? "model"}: is a diffusion {EnumNames.Of(model.Kind)} (method '{EnumNames.Of(model.Metadata.Method)}') that needs tens of steps; "
                    + "the texture generator serves models made for 1–2 steps: a consistency model (cm distill --method cd, direct-cd, ct, ict) "
                    + "or a few-step denoiser (cm distill --method rectified or progressive).");
            loaded = model;
            this.ownsModel = ownsModel;
            Platform.NativeAllocator.KeepFreedBuffers();
            this.model = model.Model;
            var m = model.Metadata;
            Metadata = m;
            Device = this.model.parameters().First().device;
            onCpu = Device.type == DeviceType.CPU;
            this.model.eval();
            Precision = NetworkPrecisions.Resolve(precision, Device);
            if (!compile && Precision != NetworkPrecision.Float32)
                this.model.to(NetworkPrecisions.ScalarType(Precision));
            // Belt and braces with no_grad: without parameters that require grad no graph is ever recorded.
            foreach (var p in this.model.parameters()) p.requires_grad = false;

            int classCount = m.Config.ClassCount;
            classNames = m.ClassNames.Length == classCount
                ? m.ClassNames.ToArray()
                : Enumerable.Range(0, classCount).Select(i => $"class {i}").ToArray();
            labels = new Tensor?[classCount];
            for (int c = 0; c < classCount; c++)
                labels[c] = tensor(new long[] { c }, ScalarType.Int64, Device);

            try { plans = [SamplingPlan.For(m, 1), SamplingPlan.For(m, 2)]; }
            catch (ArgumentException e) { throw new ModelFormatException($"{name ?? "model"}: {e.Message}", e); }
            TwoStepTau = plans[1].Sigmas[1];
            // σ as float64 [1], exactly what PreconditionedNetwork.AsDenoiser passes.
            firstSigma = plans.Select(p => ScalarArithmetic.Full([1], p.Sigmas[0], ScalarType.Float64, Device)).ToArray();
            secondSigma = ScalarArithmetic.Full([1], TwoStepTau, ScalarType.Float64, Device);
            startScale = plans.Select(p => p.StartScale.ToScalar()).ToArray();
            var transition = plans[1].Transitions[0];
            inputWeight = transition.Input.ToScalar();
            denoisedWeight = transition.Denoised.ToScalar();
            renoiseScalar = transition.Noise.ToScalar();
            scalesDenoised = transition.Denoised != 1;
            addsInput = transition.Input != 0;
            renoises = transition.Noise != 0;
            if (compile)
            {
                compiled = new TorchScriptDenoiser(this.model, NetworkPrecisions.ScalarType(Precision));
                for (int i = 0; i < 2; i++)
                    atFirst[i] = this.model.CoefficientsAt(plans[i].Sigmas[0], ScalarType.Float32, Device);
                atSecond = this.model.CoefficientsAt(TwoStepTau, ScalarType.Float32, Device);
            }
            if (onCpu) tuner = new ThreadCountTuner(get_num_threads());
            minusOne = (-1.0).ToScalar();
            plusOne = 1.0.ToScalar();
            generator = new Generator(0, CPU);
            Description = $"model {name ?? "(in memory)"}: {EnumNames.Of(m.Method)}, "
                + $"C={m.Config.BaseChannels}, {classCount} classes, {Device.type.ToString().ToLowerInvariant()} {NetworkPrecisions.ShortName(Precision)}"
                + (compiled is null ? "" : " torchscript");
        }
        catch
        {
            if (ownsModel) model.Dispose();
            throw;
        }
    }

    /// <summary>CUDA when a CUDA device is available, else the CPU. Loads TorchSharp's native backend first
    /// (<see cref="NativeBackend.EnsureLoaded"/>), so a missing or unloadable backend is one clear message.</summary>
    /// <exception cref="TorchBackendException">The backend cannot be loaded (no backend package, GLIBCXX, ...).</exception>
    public static Device DefaultDevice
    {
        get
        {
            NativeBackend.EnsureLoaded();
            return cuda.is_available() ? CUDA : CPU;
        }
    }

    /// <summary>Whether the app carries the default model (it references the <see cref="DefaultModelAssemblyName"/>
    /// package or project, and that build embeds <see cref="DefaultModelResource"/>).</summary>
    public static bool HasDefaultModel => IO.DefaultModelResource.IsAvailable;

    /// <summary>Loads the default model from the <see cref="DefaultModelAssemblyName"/> package (GPL-3.0-or-later weights).</summary>
    /// <exception cref="FileNotFoundException">The app does not reference that package, or its build embeds no model.</exception>
    public static TextureGenerator LoadDefault(Device? device = null, NetworkPrecision precision = NetworkPrecision.Auto, bool compile = true)
    {
        using var stream = OpenDefaultModel();
        return new TextureGenerator(stream, "default model", device, precision, compile);
    }

    /// <summary>The default model file's bytes (safetensors) from the <see cref="DefaultModelAssemblyName"/> package, for
    /// other backends (the ONNX Runtime source); the caller disposes the stream.</summary>
    /// <exception cref="FileNotFoundException">The app does not reference that package, or its build embeds no model.</exception>
    public static Stream OpenDefaultModel() => IO.DefaultModelResource.Open();

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => classNames;

    /// <summary>The model's metadata (config, σ settings, τ, class names).</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The network (for tests and benchmarks).</summary>
    internal PreconditionedNetwork Model => model;

    /// <summary>Whether evaluations run as one compiled TorchScript call (<see cref="TorchScriptDenoiser"/>) rather than
    /// op by op through the module.</summary>
    public bool IsCompiled => compiled is not null;

    /// <summary>The precision the network runs in (resolved: Float32 or BFloat16).</summary>
    public NetworkPrecision Precision { get; }

    /// <summary>The device the model and its buffers live on.</summary>
    public Device Device { get; }

    /// <summary>Width and height must be multiples of this (the network's downsampling factor).</summary>
    public int SizeMultiple => Metadata.Config.DownsamplingFactor;

    /// <summary>The noise level of the second evaluation of a 2-step texture (<see cref="SamplingPlan.TwoStepSigma"/>).</summary>
    public double TwoStepTau { get; }

    /// <summary>The library's plan this generator executes for <paramref name="steps"/> (1 or 2) evaluations.</summary>
    public SamplingPlan Plan(int steps) => steps is 1 or 2
        ? plans[steps - 1]
        : throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be 1 or 2.");

    /// <summary>Width of the currently allocated buffers (0 before the first frame).</summary>
    public int BufferWidth => width;

    /// <summary>Height of the currently allocated buffers (0 before the first frame).</summary>
    public int BufferHeight => height;

    /// <summary>Times the per-size buffers were (re)allocated.</summary>
    public int Allocations { get; private set; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The request is invalid (steps, class, size not a multiple of
    /// <see cref="SizeMultiple"/>) or the destination is too small.</exception>
    /// <exception cref="InvalidOperationException">Another thread is generating with this generator right now.</exception>
    public void Generate(in TextureRequest request, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var use = EnterExclusive(nameof(Generate));
        Validate(request, destination.Length);
        PrepareNoise(request);
        // The module path's temporaries belong to a per-frame scope, under no_grad. The compiled path needs neither
        // (one native call per evaluation into the preallocated output; the weights do not require grad, so no graph
        // is recorded), and skipping them keeps its frame free of managed allocation.
        using var scope = compiled is null ? NewDisposeScope() : null;
        using var noGrad = compiled is null ? no_grad() : null;
        CopyOut(Denoise(request.Steps, request.ClassIndex), destination);
    }

    /// <summary>
    /// libtorch's intra-op thread count for this generator's CPU work: null (the default) tunes it per texture size
    /// (<see cref="ThreadCountTuner"/>: the first frames of a new size try 1, 2, … up to the thread count libtorch had
    /// when the generator was made, then keep the fastest); a number fixes it. Ignored on CUDA.
    /// The count is set on the thread that calls <see cref="Generate(in TextureRequest, Span{float})"/> (libtorch's OpenMP count is per calling
    /// thread; threads created afterwards start with the last value set).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public int? Threads
    {
        get => threadsOverride;
        set
        {
            if (value is < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be at least 1 (or null to tune per size).");
            threadsOverride = value;
        }
    }

    /// <summary>The thread count tuning chose for a size, or null while it is being tuned, when <see cref="Threads"/>
    /// is set, or on CUDA.</summary>
    public int? TunedThreads(int width, int height) => threadsOverride is null ? tuner?.Chosen(width, height) : null;

    // Sets libtorch's thread count for this frame (only when it changes: the call is cheap but not free) and returns it.
    private int ApplyThreads()
    {
        if (tuner is null) return 0;
        int n = threadsOverride ?? tuner.ThreadsFor(width, height);
        if (get_num_threads() != n) set_num_threads(n);
        return n;
    }

    /// <summary>Throws unless the request can be served into <paramref name="destinationLength"/> floats.</summary>
    internal void Validate(in TextureRequest request, int destinationLength)
    {
        request.Validate(classNames.Length);
        Metadata.Config.ValidateImageSize(request.Height, request.Width);
        if (destinationLength < request.PlanarLength)
            throw new ArgumentException($"destination must hold 3×{request.Height}×{request.Width} = {request.PlanarLength} floats, got {destinationLength}.", nameof(destinationLength));
    }

    /// <summary>
    /// Stage 1 (runtime only, no network): fills the device inputs σmax·z and √(τ²−ε²)·z′ for the request's seed and
    /// phase. Allocates nothing once the size's buffers exist.
    /// </summary>
    internal void PrepareNoise(in TextureRequest request)
    {
        EnsureSize(request.Width, request.Height);
        frame++;
        bool two = request.Steps == 2 && renoises; // a plan without re-noising draws no second noise
        var scale = startScale[request.Steps - 1];
        double k = Math.Floor(request.Phase);
        double t = request.Phase - k;
        ulong seedA = unchecked(request.Seed + (ulong)(long)k);
        var a = Entry(seedA, two);
        if (t == 0)
        {
            inputFirst!.copy_(a.First).mul_(scale);
            if (two) inputSecond!.copy_(a.Second).mul_(renoiseScalar);
            return;
        }
        var b = Entry(unchecked(seedA + 1), two, keep: a);
        Mix(a.FirstSpan, b.FirstSpan, t, mixFirst!);
        inputFirst!.copy_(mixFirst!).mul_(scale);
        if (two)
        {
            Mix(a.SecondSpan, b.SecondSpan, t, mixSecond!);
            inputSecond!.copy_(mixSecond!).mul_(renoiseScalar);
        }
    }

    /// <summary>
    /// Stage 2: the network evaluations on the prepared inputs, with this size's thread count (timed for the tuner);
    /// the result is unclamped, [1, 3, H, W] on the device. Compiled: written into a preallocated tensor (valid until the next frame; do not dispose it) with no managed
    /// allocation. Module: must run inside a dispose scope and no_grad, which own the result and the temporaries (the
    /// first step's output is freed here).
    /// </summary>
    internal Tensor Denoise(int steps, int classIndex)
    {
        int threads = ApplyThreads();
        long start = Stopwatch.GetTimestamp();
        var result = Evaluate(steps, classIndex);
        if (tuner is not null && threadsOverride is null)
            tuner.Report(width, height, threads, Stopwatch.GetElapsedTime(start).TotalSeconds / steps);
        return result;
    }

    private Tensor Evaluate(int steps, int classIndex)
    {
        var label = labels.Length == 0 ? null : labels[classIndex];
        if (compiled is not null)
        {
            compiled.ForwardInto(output!, inputFirst!, atFirst[steps - 1]!, label);
            if (steps == 2)
            {
                // The second input in place (the script reads x before writing), by the plan's transition.
                // Preallocated scalars: an implicit one would box a new Scalar every frame.
                SecondInput(output!);
                compiled.ForwardInto(output!, output!, atSecond!, label);
            }
            return output!;
        }
        var x = model.forward(inputFirst!, firstSigma[steps - 1], label);
        if (steps == 1) return x;
        try
        {
            SecondInput(x);
            return model.forward(x, secondSigma, label);
        }
        finally
        {
            x.Dispose();
        }
    }

    // Turns the first evaluation's output D₀ into the second evaluation's input a·x₀ + b·D₀ + c·z′, in place
    // (the plan's transition; inputSecond already holds c·z′). Terms with weight 1 or 0 are skipped. A batch passes
    // its own x₀ and c·z′ tensors.
    private void SecondInput(Tensor denoised, Tensor? first = null, Tensor? second = null)
    {
        if (scalesDenoised) denoised.mul_(denoisedWeight);
        if (addsInput) denoised.add_(first ?? inputFirst!, inputWeight);
        if (renoises) denoised.add_(second ?? inputSecond!, plusOne);
    }

    /// <summary>Stage 3 (runtime only): clamps <paramref name="result"/> to [−1, 1] in place and copies it into
    /// <paramref name="destination"/> (through a preallocated CPU tensor when it is on another device or strided).</summary>
    internal void CopyOut(Tensor result, Span<float> destination)
    {
        result.clamp_(minusOne, plusOne);
        var source = result;
        if (!onCpu || !result.is_contiguous())
            source = staging!.copy_(result);
        var floats = MemoryMarshal.Cast<byte, float>(source.bytes);
        floats.CopyTo(destination);
    }

    private void Mix(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t, Tensor destination)
    {
        var (wa, wb) = LatentSlerp.Weights(LatentSlerp.CosAngle(a, b), t);
        LatentSlerp.Combine(a, b, wa, wb, MemoryMarshal.Cast<byte, float>(destination.bytes));
    }

    private SeedNoise Entry(ulong seed, bool needSecond, SeedNoise? keep = null) => cache.Get(seed, needSecond, generator, frame, keep);

    private void EnsureSize(int w, int h)
    {
        if (w == width && h == height) return;
        FreeBuffers();
        var shape = new long[] { 1, 3, h, w };
        cache.Resize(h, w);
        mixFirst = empty(shape, ScalarType.Float32, CPU);
        mixSecond = empty(shape, ScalarType.Float32, CPU);
        inputFirst = empty(shape, ScalarType.Float32, Device);
        inputSecond = empty(shape, ScalarType.Float32, Device);
        staging = empty(shape, ScalarType.Float32, CPU);
        if (compiled is not null) output = empty(shape, ScalarType.Float32, Device);
        width = w;
        height = h;
        Allocations++;
    }

    private void FreeBuffers()
    {
        cache.Clear();
        mixFirst?.Dispose(); mixSecond?.Dispose();
        inputFirst?.Dispose(); inputSecond?.Dispose();
        staging?.Dispose();
        output?.Dispose();
        mixFirst = mixSecond = inputFirst = inputSecond = staging = output = null;
        width = height = 0;
    }

    /// <summary>Frees the buffers, the label and σ tensors, the generator and (if owned) the model.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        FreeBuffers();
        FreeBatchBuffers();
        foreach (var l in labels) l?.Dispose();
        foreach (var t in firstSigma) t.Dispose();
        secondSigma.Dispose();
        inputWeight.Dispose();
        denoisedWeight.Dispose();
        foreach (var scalar in startScale) scalar.Dispose();
        renoiseScalar.Dispose();
        minusOne.Dispose();
        plusOne.Dispose();
        generator.Dispose();
        compiled?.Dispose();
        foreach (var c in atFirst) c?.Dispose();
        atSecond?.Dispose();
        if (ownsModel) loaded.Dispose();
    }
}
