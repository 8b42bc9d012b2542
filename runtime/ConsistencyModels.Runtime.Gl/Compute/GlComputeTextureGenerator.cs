using ConsistencyModels.IO;
using ConsistencyModels.Networks.Description;
using ConsistencyModels.Runtime.Compute;
using ConsistencyModels.Runtime.Gl;
using ConsistencyModels.Sampling;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime;

/// <summary>Options of a <see cref="GlComputeTextureGenerator"/>'s output textures.</summary>
public sealed record GlComputeOptions
{
    /// <summary>Storage format of the output textures (and of a texture passed to
    /// <see cref="GlComputeTextureGenerator.Generate(in TextureRequest, uint)"/>).</summary>
    public TexturePixelFormat Format { get; init; } = TexturePixelFormat.Rgba8;

    /// <summary>How colours are stored, as in <see cref="GlTextureSinkOptions.ColorSpace"/> (the network's output is
    /// display-referred sRGB).</summary>
    public TextureColorSpace ColorSpace { get; init; } = TextureColorSpace.SrgbEncoded;
}

/// <summary>
/// The model resident on the GPU in the app's own OpenGL context: a 1- or 2-step texture is a fixed sequence of compute
/// dispatches (the network as derived from its <see cref="NetworkDescription"/> by <c>GlComputeNetwork</c>, the
/// sampling passes of shaders/cm_sample.comp.glsl) whose last pass writes the app's RGBA8 or RGBA16F texture with
/// imageStore: no readback, no pixel buffer, no host copy, no libtorch. Needs desktop OpenGL 4.3+ (compute shaders).
/// <para>
/// Sampling is the library's <see cref="SamplingPlan"/> for the model (consistency sampling, or Euler for few-step
/// denoisers), with the model's preconditioning: x₀ = StartScale·z, D_i = c_skip·x_i + c_out·F(c_in·x_i; c_noise), the
/// plan's transition x₁ = a·x₀ + b·D₀ + c·z′, the result clamp(D_last, −1, 1), then the same colour mapping as
/// <see cref="GlTextureSink"/> (e = v·0.5 + 0.5, sRGB handling by <see cref="GlComputeOptions.ColorSpace"/>). Equal to
/// <see cref="ITextureSource"/>-style libtorch generation on the same noise within 1e-4 (tests).
/// </para>
/// <para>
/// Noise is generated on the GPU from the seed by a counter-based hash and Box–Muller (see the shader): for a given seed
/// the values differ from libtorch's generator, so a seed gives a different (equally distributed) texture than
/// <c>TextureGenerator</c>. Animation as there: at phase p the noise is slerp(z(seed + ⌊p⌋), z(seed + ⌊p⌋ + 1), p − ⌊p⌋),
/// the slerp weights reduced on the GPU.
/// </para>
/// <para>
/// Presentation without waiting: <see cref="TrySubmit"/> queues a texture into one of three output textures and sets a
/// fence; <see cref="Poll"/> (non-blocking) makes the newest finished one <see cref="CurrentTexture"/>, which the renderer
/// samples. Or <see cref="Generate(in TextureRequest, uint)"/> writes a texture of the caller's. The noise/class embedding
/// MLP runs on the CPU once per (σ, class) and is cached on the GPU; a steady-state frame allocates no managed memory
/// and uploads nothing. Create, use and dispose on the context's thread.
/// </para>
/// </summary>
public sealed unsafe class GlComputeTextureGenerator : IDisposable
{
    private const int Slots = 3;
    private readonly GL gl;
    private readonly int ownerThread = Environment.CurrentManagedThreadId;
    private readonly GlKernels kernels;
    private readonly GlComputeNetwork network;
    private readonly EmbeddingMlp embedding;
    private readonly SamplingPlan[] plans;
    private readonly double[] sigmas;           // distinct σ of both plans: embedding slot rows
    private readonly int[][] sigmaIndex;        // [steps − 1][evaluation] → row of sigmas
    private readonly SigmaCoefficients[] coefficients;
    private readonly bool[] slotFilled;
    private readonly float[] slotValues;
    private readonly string[] classNames;
    private readonly int classSlots;
    private readonly GlKernel stats, start, step, output;
    private readonly bool srgbStorage, linearValues;
    private readonly long maxBlockBytes;
    private readonly uint[] textures = new uint[Slots];
    private readonly uint[] views = new uint[Slots];
    private readonly nint[] fences = new nint[Slots];
    private readonly long[] sequence = new long[Slots];
    private uint arena, embeddingBuffer, scalars, noise;
    private bool injected;
    private int width, height, textureWidth, textureHeight, current = -1;
    private long submitted, xOff, netOff, resultOff;
    private bool disposed;

    /// <summary>
    /// Whether the GL backend suits <paramref name="gl"/>'s context: compute shaders (desktop OpenGL 4.3+) on a hardware
    /// GPU. False on a software rasterizer (Mesa llvmpipe/softpipe, swrast: the shaders would run on the CPU, where the
    /// libtorch path is much faster, docs/RESULTS.md) and without compute shaders. The backend choice of
    /// <c>--backend auto</c> in the viewer; <paramref name="reason"/> says why not.
    /// </summary>
    public static bool Suits(GL gl, out string reason)
    {
        ArgumentNullException.ThrowIfNull(gl);
        string renderer = gl.GetStringS(StringName.Renderer) ?? "";
        if (!GlCapabilities.Query(gl).HasComputeConversion) { reason = $"'{renderer}' has no compute shaders (OpenGL 4.3+)"; return false; }
        if (IsSoftwareRenderer(renderer)) { reason = $"'{renderer}' is a software renderer"; return false; }
        reason = "";
        return true;
    }

    /// <summary>A software rasterizer's GL_RENDERER (Mesa llvmpipe, softpipe, swrast, or one calling itself software).</summary>
    public static bool IsSoftwareRenderer(string renderer)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        return renderer.Contains("llvmpipe", StringComparison.OrdinalIgnoreCase) || renderer.Contains("softpipe", StringComparison.OrdinalIgnoreCase)
            || renderer.Contains("swrast", StringComparison.OrdinalIgnoreCase) || renderer.Contains("software", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Loads a model file (safetensors, read without libtorch) onto the GPU of <paramref name="gl"/>'s context.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is corrupt, or a diffusion teacher that needs tens of steps.</exception>
    /// <exception cref="NotSupportedException">The context lacks compute shaders (desktop OpenGL 4.3+).</exception>
    public static GlComputeTextureGenerator FromFile(GL gl, string path, GlComputeOptions? options = null) =>
        FromWeights(gl, ModelWeights.Load(path), Path.GetFileName(path), options);

    /// <summary>Loads a model file held in <paramref name="bytes"/>; <paramref name="name"/> names it in messages.</summary>
    /// <exception cref="ModelFormatException">The data is corrupt or not a 1–2 step model.</exception>
    /// <exception cref="NotSupportedException">The context lacks compute shaders (desktop OpenGL 4.3+).</exception>
    public static GlComputeTextureGenerator FromBytes(GL gl, byte[] bytes, string name, GlComputeOptions? options = null) =>
        FromWeights(gl, ModelWeights.Load(bytes, name), name, options);

    /// <summary>Loads the default model from the ConsistencyModels.DefaultModel package (GPL-3.0-or-later weights).</summary>
    /// <exception cref="FileNotFoundException">The app does not reference that package.</exception>
    /// <exception cref="NotSupportedException">The context lacks compute shaders (desktop OpenGL 4.3+).</exception>
    public static GlComputeTextureGenerator LoadDefault(GL gl, GlComputeOptions? options = null) =>
        FromWeights(gl, ModelWeights.LoadDefault(), DefaultModelResource.Source, options);

    /// <summary>Uses already loaded weights.</summary>
    /// <exception cref="ModelFormatException">The model needs tens of steps or is not RGB.</exception>
    /// <exception cref="NotSupportedException">The context lacks compute shaders (desktop OpenGL 4.3+).</exception>
    public static GlComputeTextureGenerator FromWeights(GL gl, ModelWeights weights, string? name = null, GlComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        try
        {
            return new GlComputeTextureGenerator(gl, weights.Metadata, weights.ReadFloat32, name ?? weights.Source, options);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(e.Message, e);
        }
    }

    /// <summary>Builds the backend for a model given as metadata and a tensor reader (name → float32 values, row-major);
    /// <paramref name="name"/> names it in messages.</summary>
    /// <exception cref="NotSupportedException">The context lacks compute shaders, or the network has an op the backend lacks.</exception>
    /// <exception cref="ArgumentException">The model needs tens of steps (a diffusion teacher) or is not RGB.</exception>
    internal GlComputeTextureGenerator(GL gl, ModelMetadata metadata, Func<string, float[]> read, string name, GlComputeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(gl);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(read);
        this.gl = gl;
        Options = options ?? new GlComputeOptions();
        var caps = GlCapabilities.Query(gl);
        if (!caps.HasComputeConversion)
            throw new NotSupportedException($"the GL compute backend needs desktop OpenGL 4.3 or newer (compute shaders); this context is '{caps.Version}'.");
        if (metadata.Sampling == SamplingKind.Ode)
            throw new ArgumentException($"{name}: a diffusion model (method '{metadata.Method}') needs tens of steps; the GL backend serves models made for 1–2 steps.");
        var cfg = metadata.Config;
        if (cfg.InChannels != 3 || cfg.OutChannels != 3)
            throw new ArgumentException($"{name}: the GL backend generates RGB textures; the model has {cfg.InChannels} input and {cfg.OutChannels} output channels.");
        Metadata = metadata;
        classNames = metadata.ClassNames.Length == cfg.ClassCount
            ? metadata.ClassNames.ToArray()
            : Enumerable.Range(0, cfg.ClassCount).Select(i => $"class {i}").ToArray();
        classSlots = Math.Max(1, cfg.ClassCount);
        plans = [SamplingPlan.For(metadata, 1), SamplingPlan.For(metadata, 2)];
        sigmas = plans.SelectMany(p => p.Sigmas).Distinct().ToArray();
        sigmaIndex = plans.Select(p => p.Sigmas.Select(s => Array.IndexOf(sigmas, s)).ToArray()).ToArray();
        coefficients = sigmas.Select(s => SigmaCoefficients.At(metadata, s)).ToArray();
        gl.GetInteger64((GLEnum)0x90DE, out maxBlockBytes); // GL_MAX_SHADER_STORAGE_BLOCK_SIZE
        srgbStorage = Options.ColorSpace == TextureColorSpace.Srgb && Options.Format == TexturePixelFormat.Rgba8;
        linearValues = Options.ColorSpace == TextureColorSpace.Linear
            || (Options.ColorSpace == TextureColorSpace.Srgb && Options.Format == TexturePixelFormat.Rgba16F);

        kernels = new GlKernels(gl);
        try
        {
            var description = NetworkDescription.FromConfig(cfg);
            embedding = new EmbeddingMlp(description, read);
            network = new GlComputeNetwork(gl, kernels, description, read, embedding);
            slotFilled = new bool[sigmas.Length * classSlots];
            slotValues = new float[embedding.SlotSize];
            embeddingBuffer = gl.GenBuffer();
            gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, embeddingBuffer);
            gl.BufferData(BufferTargetARB.ShaderStorageBuffer, (nuint)(slotFilled.Length * embedding.SlotSize * sizeof(float)), null, BufferUsageARB.DynamicDraw);
            scalars = gl.GenBuffer();
            gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, scalars);
            gl.BufferData(BufferTargetARB.ShaderStorageBuffer, 16 * sizeof(float), null, BufferUsageARB.DynamicCopy);
            gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
            stats = kernels.Get(GlKernels.Sample, ("PASS", "1"));
            start = kernels.Get(GlKernels.Sample, ("PASS", "2"));
            step = kernels.Get(GlKernels.Sample, ("PASS", "3"));
            output = kernels.Get(GlKernels.Sample, ("PASS", "4"),
                ("OUTPUT_FORMAT", Options.Format == TexturePixelFormat.Rgba8 ? "rgba8" : "rgba16f"), ("LINEAR_OUTPUT", linearValues ? "1" : "0"));
        }
        catch
        {
            DeleteObjects();
            throw;
        }
        Description = $"model {name}: {Naming.EnumNames.Of(metadata.Method)}, C={cfg.BaseChannels}, {cfg.ClassCount} classes, "
            + $"GL compute fp32 ({gl.GetStringS(StringName.Renderer)})";
    }

    /// <summary>A one-line description for logs (model, backend, renderer).</summary>
    public string Description { get; }

    /// <summary>The model's class names (empty for an unconditional model).</summary>
    public IReadOnlyList<string> ClassNames => classNames;

    /// <summary>The model's metadata.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The output options.</summary>
    public GlComputeOptions Options { get; }

    /// <summary>Width and height must be multiples of this (the network's downsampling factor).</summary>
    public int SizeMultiple => Metadata.Config.DownsamplingFactor;

    /// <summary>The library's plan executed for <paramref name="steps"/> (1 or 2) evaluations.</summary>
    public SamplingPlan Plan(int steps) => steps is 1 or 2 ? plans[steps - 1]
        : throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be 1 or 2.");

    /// <summary>The GL name of the newest finished output texture of <see cref="TrySubmit"/>; 0 before the first
    /// submission; a mid-grey placeholder until the first texture finished (<see cref="HasFrame"/>).</summary>
    public uint CurrentTexture => current < 0 ? 0 : textures[current];

    /// <summary>Submission number (1, 2, …) of <see cref="CurrentTexture"/>; 0 for the placeholder.</summary>
    public long CurrentSequence => current < 0 ? 0 : sequence[current];

    /// <summary>Whether <see cref="CurrentTexture"/> holds a generated texture.</summary>
    public bool HasFrame => current >= 0 && sequence[current] > 0;

    /// <summary>The three output textures (their names change when the size changes).</summary>
    public IReadOnlyList<uint> Textures => textures;

    /// <summary>Textures submitted so far.</summary>
    public long Submitted => submitted;

    /// <summary>The description's ops the dispatch plan executes, with the weights it reads (op-by-op agreement tests).</summary>
    internal IReadOnlyList<BackendStep> PlanSteps => network.Steps;

    /// <summary>Dispatches per network evaluation at the current size (0 before the first texture).</summary>
    public int DispatchesPerEvaluation => network.DispatchCount;

    /// <summary>
    /// Queues the texture of <paramref name="request"/> into a free output texture (never one that is current or still
    /// being written) and fences it; false, queuing nothing, when the GPU is still busy with the other two. Never waits.
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid (steps, class, size not a multiple of <see cref="SizeMultiple"/>, too large).</exception>
    public bool TrySubmit(in TextureRequest request)
    {
        VerifyThread();
        Validate(request);
        Poll();
        if (request.Width != textureWidth || request.Height != textureHeight) AllocateTextures(request.Width, request.Height);
        int target = -1;
        for (int i = 0; i < Slots; i++)
            if (i != current && fences[i] == 0 && (target < 0 || sequence[i] < sequence[target])) target = i;
        if (target < 0) return false;
        Record(request, srgbStorage ? views[target] : textures[target]);
        fences[target] = gl.FenceSync(SyncCondition.SyncGpuCommandsComplete, SyncBehaviorFlags.None);
        sequence[target] = ++submitted;
        gl.Flush();
        return true;
    }

    /// <summary>Makes the newest finished output texture current, without waiting; true when <see cref="CurrentTexture"/> changed.</summary>
    public bool Poll()
    {
        VerifyThread();
        int newest = current;
        for (int i = 0; i < Slots; i++)
        {
            if (fences[i] == 0) continue;
            var state = gl.ClientWaitSync(fences[i], (SyncObjectMask)0, 0);
            if (state is GLEnum.AlreadySignaled or GLEnum.ConditionSatisfied)
            {
                gl.DeleteSync(fences[i]);
                fences[i] = 0;
                if (newest < 0 || sequence[i] > sequence[newest]) newest = i;
            }
        }
        if (newest == current) return false;
        current = newest;
        return true;
    }

    /// <summary>Writes the texture of <paramref name="request"/> into <paramref name="texture"/>, a 2-D texture of the
    /// request's size with immutable storage in <see cref="GlComputeOptions.Format"/> (RGBA8, or an RGBA8 view of an
    /// sRGB8_ALPHA8 texture; RGBA16F), level 0. Queued on the GPU; the caller syncs (a fence) or just draws with it.</summary>
    /// <exception cref="ArgumentException">The request is invalid.</exception>
    public void Generate(in TextureRequest request, uint texture)
    {
        VerifyThread();
        Validate(request);
        Record(request, texture);
    }

    /// <summary>FLOPs and bytes moved of one texture of <paramref name="w"/> × <paramref name="h"/> with
    /// <paramref name="steps"/> evaluations (network only; see GlComputeNetwork.Cost), for the benchmark's roofline.</summary>
    public (double Flops, double Bytes) Cost(int w, int h, int steps)
    {
        VerifyThread();
        Validate(new TextureRequest(w, h, 0, steps, 0, 0));
        EnsureSize(w, h);
        var (f, b) = network.Cost();
        return (f * steps, b * steps);
    }

    /// <summary>Uses <paramref name="values"/> (layout [seed slot A/B][stream z/z′][3·H·W]) instead of the GPU hash for
    /// the noise, so tests can feed libtorch's noise; an empty span returns to the hash.</summary>
    internal void InjectNoise(ReadOnlySpan<float> values)
    {
        VerifyThread();
        if (values.IsEmpty) { injected = false; return; }
        if (noise == 0) noise = gl.GenBuffer();
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, noise);
        fixed (float* p = values) gl.BufferData(BufferTargetARB.ShaderStorageBuffer, (nuint)(values.Length * sizeof(float)), p, BufferUsageARB.StaticDraw);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
        injected = true;
    }

    /// <summary>Tests: the GPU's noise stream <paramref name="stream"/> (0 = z, 1 = z′) of <paramref name="seed"/> for a
    /// <paramref name="w"/> × <paramref name="h"/> texture, read back.</summary>
    internal float[] DrawNoise(int w, int h, ulong seed, int stream)
    {
        VerifyThread();
        EnsureSize(w, h);
        int n = 3 * w * h;
        var k = kernels.Get(GlKernels.Sample, ("PASS", "5"));
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 0, arena);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 3, scalars);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 4, scalars);
        bool wasInjected = injected;
        injected = false;
        SetNoise(k, n, seed, seed + 1, 0f);
        injected = wasInjected;
        gl.Uniform1(k.Location("xOff"), (int)xOff);
        gl.Uniform1(k.Location("stream"), stream);
        gl.DispatchCompute((uint)((n + 255) / 256), 1, 1);
        gl.MemoryBarrier(MemoryBarrierMask.AllBarrierBits);
        var values = new float[n];
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, arena);
        fixed (float* p = values) gl.GetBufferSubData(BufferTargetARB.ShaderStorageBuffer, (nint)(xOff * sizeof(float)), (nuint)(n * sizeof(float)), p);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
        return values;
    }

    /// <summary>Reads the last texture's clamped planar result [3, H, W] (tests; waits for the GPU).</summary>
    internal void ReadResult(Span<float> planar)
    {
        VerifyThread();
        int n = 3 * width * height;
        if (planar.Length < n) throw new ArgumentException($"destination must hold {n} floats.", nameof(planar));
        gl.MemoryBarrier(MemoryBarrierMask.BufferUpdateBarrierBit);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, arena);
        fixed (float* p = planar) gl.GetBufferSubData(BufferTargetARB.ShaderStorageBuffer, (nint)(resultOff * sizeof(float)), (nuint)(n * sizeof(float)), p);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
    }

    /// <summary>GL names of every buffer and program this generator made (tests check disposal deletes them all).</summary>
    internal (uint[] Buffers, uint[] Programs, uint[] Textures, nint[] Fences) Objects() =>
        (new[] { arena, embeddingBuffer, scalars, noise, network.WeightBuffer, network.ScratchBuffer }.Where(b => b != 0).ToArray(),
            kernels.All.Select(k => k.Program).Where(p => p != 0).ToArray(),
            textures.Concat(views).Where(t => t != 0).ToArray(), fences.Where(f => f != 0).ToArray());

    internal void Validate(in TextureRequest request)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        request.Validate(classNames.Length);
        Metadata.Config.ValidateImageSize(request.Height, request.Width);
    }

    private void Record(in TextureRequest request, uint image)
    {
        EnsureSize(request.Width, request.Height);
        int n = 3 * width * height;
        var plan = plans[request.Steps - 1];
        bool two = request.Steps == 2;
        var transition = two ? plan.Transitions[0] : default;
        double k = Math.Floor(request.Phase), t = request.Phase - k;
        ulong seedA = unchecked(request.Seed + (ulong)(long)k), seedB = unchecked(seedA + 1);
        int cls = classNames.Length == 0 ? 0 : request.ClassIndex;
        var rows = sigmaIndex[request.Steps - 1];

        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 0, arena);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 2, embeddingBuffer);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 3, injected ? noise : scalars);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 4, scalars);
        if (t > 0)
        {
            SetNoise(stats, n, seedA, seedB, (float)t);
            gl.Uniform1(stats.Location("stream"), 0);
            gl.DispatchCompute(1, 1, 1);
            if (two && transition.Noise != 0)
            {
                gl.Uniform1(stats.Location("stream"), 1);
                gl.DispatchCompute(1, 1, 1);
            }
            gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        }
        uint groups = (uint)((n + 255) / 256);
        var c0 = coefficients[rows[0]];
        SetNoise(start, n, seedA, seedB, (float)t);
        SetRegions(start);
        gl.Uniform1(start.Location("startScale"), (float)plan.StartScale);
        gl.Uniform1(start.Location("cIn"), (float)c0.CIn);
        gl.DispatchCompute(groups, 1, 1);
        gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        for (int e = 0; e < request.Steps; e++)
        {
            var c = coefficients[rows[e]];
            network.Evaluate(EmbeddingSlot(rows[e], cls));
            bool last = e == request.Steps - 1;
            SetNoise(step, n, seedA, seedB, (float)t);
            SetRegions(step);
            gl.Uniform1(step.Location("cSkip"), (float)c.CSkip);
            gl.Uniform1(step.Location("cOut"), (float)c.COut);
            gl.Uniform1(step.Location("last"), last ? 1 : 0);
            if (!last)
            {
                gl.Uniform1(step.Location("wInput"), (float)transition.Input);
                gl.Uniform1(step.Location("wDenoised"), (float)transition.Denoised);
                gl.Uniform1(step.Location("wNoise"), (float)transition.Noise);
                gl.Uniform1(step.Location("cIn"), (float)coefficients[rows[e + 1]].CIn);
            }
            gl.DispatchCompute(groups, 1, 1);
            gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        }
        gl.UseProgram(output.Program);
        gl.Uniform2(output.Location("size"), width, height);
        gl.Uniform1(output.Location("resultOff"), (int)resultOff);
        gl.BindImageTexture(0, image, 0, false, 0, BufferAccessARB.WriteOnly,
            Options.Format == TexturePixelFormat.Rgba8 ? InternalFormat.Rgba8 : InternalFormat.Rgba16f);
        gl.DispatchCompute((uint)((width * height + 255) / 256), 1, 1);
        // Sampling, image reads, mipmap generation and readback of the texture must see the writes.
        gl.MemoryBarrier(MemoryBarrierMask.AllBarrierBits);
        gl.UseProgram(0);
    }

    private void SetNoise(GlKernel k, int n, ulong seedA, ulong seedB, float t)
    {
        gl.UseProgram(k.Program);
        gl.Uniform1(k.Location("n"), n);
        gl.Uniform2(k.Location("seedA"), (uint)seedA, (uint)(seedA >> 32));
        gl.Uniform2(k.Location("seedB"), (uint)seedB, (uint)(seedB >> 32));
        gl.Uniform1(k.Location("injected"), injected ? 1 : 0);
        gl.Uniform1(k.Location("t"), t);
    }

    private void SetRegions(GlKernel k)
    {
        gl.Uniform1(k.Location("xOff"), (int)xOff);
        gl.Uniform1(k.Location("netOff"), (int)netOff);
        gl.Uniform1(k.Location("fOff"), (int)network.OutputOffset);
        gl.Uniform1(k.Location("resultOff"), (int)resultOff);
    }

    // The embedding slot's float offset for σ row `row` and class `cls`, computed on the CPU and uploaded on first use.
    private int EmbeddingSlot(int row, int cls)
    {
        int slot = row * classSlots + cls;
        int offset = slot * embedding.SlotSize;
        if (!slotFilled[slot])
        {
            embedding.Compute((float)coefficients[row].CNoise, cls, slotValues);
            gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, embeddingBuffer);
            fixed (float* p = slotValues)
                gl.BufferSubData(BufferTargetARB.ShaderStorageBuffer, (nint)(offset * sizeof(float)), (nuint)(slotValues.Length * sizeof(float)), p);
            gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
            slotFilled[slot] = true;
        }
        return offset;
    }

    /// <summary>Tests: one network evaluation F(<paramref name="input"/>) at σ row 0 of the plans (σmax) and class
    /// <paramref name="cls"/> with every value kept in its own storage; returns name → values read back.</summary>
    internal Dictionary<string, float[]> EvaluateNetwork(ReadOnlySpan<float> input, int w, int h, int cls)
    {
        VerifyThread();
        width = height = 0;
        EnsureSize(w, h, keepAll: true);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, arena);
        fixed (float* p = input) gl.BufferSubData(BufferTargetARB.ShaderStorageBuffer, (nint)(netOff * sizeof(float)), (nuint)(3 * w * h * sizeof(float)), p);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 0, arena);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 2, embeddingBuffer);
        network.Evaluate(EmbeddingSlot(0, cls));
        gl.MemoryBarrier(MemoryBarrierMask.AllBarrierBits);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, arena);
        foreach (var (name, offset, channels, level) in network.Materialized())
        {
            var values = new float[channels * (w >> level) * (h >> level)];
            fixed (float* p = values) gl.GetBufferSubData(BufferTargetARB.ShaderStorageBuffer, (nint)(offset * sizeof(float)), (nuint)(values.Length * sizeof(float)), p);
            result[name] = values;
        }
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
        width = height = 0; // the next frame prepares the size again, with reuse
        return result;
    }

    private void EnsureSize(int w, int h, bool keepAll = false)
    {
        if (w == width && h == height) return;
        long n = 3L * w * h;
        xOff = 0;
        netOff = n;
        resultOff = 2 * n;
        long total = 3 * n + network.Prepare(w, h, netOff, (3 * n + 3) & ~3L, keepAll) + 4;
        long bytes = total * sizeof(float);
        if (bytes > maxBlockBytes || total > int.MaxValue)
            throw new ArgumentException($"a {w}×{h} texture needs {bytes / (1 << 20)} MiB of activations, more than this GL context's largest "
                + $"shader storage block (GL_MAX_SHADER_STORAGE_BLOCK_SIZE = {maxBlockBytes / (1 << 20)} MiB); generate smaller textures.");
        if (arena != 0) gl.DeleteBuffer(arena);
        arena = gl.GenBuffer();
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, arena);
        gl.BufferData(BufferTargetARB.ShaderStorageBuffer, (nuint)bytes, null, BufferUsageARB.DynamicCopy);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
        width = w;
        height = h;
    }

    private void AllocateTextures(int w, int h)
    {
        DeleteTextures();
        var format = Options.Format == TexturePixelFormat.Rgba16F ? SizedInternalFormat.Rgba16f
            : srgbStorage ? SizedInternalFormat.Srgb8Alpha8 : SizedInternalFormat.Rgba8;
        Span<float> grey = [0.5f, 0.5f, 0.5f, 1f];
        if (linearValues) grey[0] = grey[1] = grey[2] = PlanarTextureConversion.DecodeSrgb(0.5f);
        for (int i = 0; i < Slots; i++)
        {
            var texture = gl.GenTexture();
            gl.BindTexture(TextureTarget.Texture2D, texture);
            gl.TexStorage2D(TextureTarget.Texture2D, 1, format, (uint)w, (uint)h);
            gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, (int)TextureMinFilter.Linear);
            gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, (int)TextureMagFilter.Linear);
            // Repeat: generated textures are seamless and meant to tile.
            gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapS, (int)TextureWrapMode.Repeat);
            gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapT, (int)TextureWrapMode.Repeat);
            gl.BindTexture(TextureTarget.Texture2D, 0);
            fixed (float* g = grey) gl.ClearTexImage(texture, 0, PixelFormat.Rgba, PixelType.Float, g);
            textures[i] = texture;
            if (srgbStorage)
            {
                views[i] = gl.GenTexture();
                gl.TextureView(views[i], TextureTarget.Texture2D, texture, SizedInternalFormat.Rgba8, 0, 1, 0, 1);
            }
            sequence[i] = 0;
        }
        current = 0;
        textureWidth = w;
        textureHeight = h;
    }

    private void DeleteTextures()
    {
        for (int i = 0; i < Slots; i++)
        {
            if (fences[i] != 0) gl.DeleteSync(fences[i]);
            if (views[i] != 0) gl.DeleteTexture(views[i]);
            if (textures[i] != 0) gl.DeleteTexture(textures[i]);
            fences[i] = 0;
            views[i] = textures[i] = 0;
        }
        current = -1;
        textureWidth = textureHeight = 0;
    }

    private void DeleteObjects()
    {
        DeleteTextures();
        foreach (var b in new[] { arena, embeddingBuffer, scalars, noise })
            if (b != 0) gl.DeleteBuffer(b);
        arena = embeddingBuffer = scalars = noise = 0;
        network?.Dispose();
        kernels?.Dispose();
    }

    private void VerifyThread()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Environment.CurrentManagedThreadId != ownerThread)
            throw new InvalidOperationException($"GlComputeTextureGenerator must be used on the GL context's thread (thread {ownerThread}), not thread {Environment.CurrentManagedThreadId}.");
    }

    /// <summary>Deletes every GL object (buffers, programs, textures, fences); on the context's thread.</summary>
    public void Dispose()
    {
        if (disposed) return;
        VerifyThread();
        DeleteObjects();
        disposed = true;
    }
}
