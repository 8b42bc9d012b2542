using ConsistencyModels.Networks.Description;
using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Networks;

/// <summary>
/// The raw network F(x; c_noise, class) of the EDM parameterization: a fully convolutional U-Net with the
/// residual blocks, embeddings and widths of EDM's DhariwalUNet (github:NVlabs/edm training/networks.py), but with
/// parameter-free resampling (2×2 average pooling down, nearest-neighbour up, as in the classic U-Net) instead of
/// resampling residual blocks, which costs ≈40 % of the compute at the same width. Optional circular padding
/// (seamless tiling) and a 2× pixel-unshuffle stem. Input and output are [B, C, H, W] with H and W multiples of
/// <see cref="UNetConfig.DownsamplingFactor"/>. The output convolution starts at zero, so a fresh network outputs 0.
/// </summary>
/// <remarks>
/// The topology is not written here: it is the <see cref="NetworkDescription"/> of the configuration (the one list
/// the TorchScript source, the ONNX graph and the GL plan are derived from too). The constructor creates one
/// TorchSharp layer per op that has weights (nn.Conv2d, nn.Linear, nn.Embedding, GroupNorm, the noise embedding, the
/// attention's norm/qkv/proj), in op order and under the op's module name, so the state_dict names, shapes and
/// order, and the random initialization sequence, are those of the model files; <see cref="forward"/> interprets the
/// op list with TorchSharp calls, freeing each value after its last use. Layout (see the description): conv_in; per
/// level l: (l &gt; 0: avg-pool) then R blocks; two middle blocks; per level from the lowest: (nearest upsample unless
/// lowest) then R + 1 blocks, each taking the concatenation with one encoder skip; GroupNorm, SiLU, out_conv.
/// Pooling and nearest upsampling commute with circular shifts by multiples of the downsampling factor, so with
/// circular padding the whole network is shift-equivariant.
/// </remarks>
public sealed class UNet : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    // h·(1 + scale) + shift is addcmul(shift, h, scale + 1, value: 1); the value as a Scalar that lives as long as the
    // process: an implicit `1` makes a temporary native Scalar whose finalizer can run while libtorch still reads it.
    private static readonly Scalar One = 1.0.ToScalar();

    private readonly Step[] steps;        // one per op of Description, in order
    private readonly int[] lastUse;       // per op: the last op that reads its output (-1: the network's output)
    private readonly int firstConvOp;     // where channels-last starts; its weight's type is the type the network computes in
    // No field may hold a Module or Tensor: RegisterComponents would register it (a wrapper's registration calls it).

    /// <summary>Builds the network for <paramref name="config"/> (validated first).</summary>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public UNet(UNetConfig config) : base("UNet")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        // Layer constructors leave initialization temporaries to the GC; this scope frees them now, and only the
        // parameters and buffers move out to the caller. (What stays counted in Tensor.TotalCount afterwards are the
        // handle-less wrappers TorchSharp's Parameter constructor empties: no native memory.)
        using var scope = NewDisposeScope();
        Config = config with { ChannelMultipliers = (int[])config.ChannelMultipliers.Clone(), AttentionLevels = (int[])config.AttentionLevels.Clone() };
        Description = NetworkDescription.FromConfig(Config);
        var ops = Description.Ops;
        var groups = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        steps = new Step[ops.Count];
        for (int i = 0; i < ops.Count; i++)
            steps[i] = CreateStep(ops[i], groups);
        firstConvOp = Enumerable.Range(0, ops.Count).First(i => ops[i].Kind == LayerOpKind.Conv2d);
        lastUse = LastUses(Description);
        Steps = [.. steps.Select((s, i) => new BackendStep(i, ops[i].Kind, s.Weights))];
        foreach (var p in parameters()) p.MoveToOuterDisposeScope();
        foreach (var b in buffers()) b.MoveToOuterDisposeScope();
    }

    /// <summary>The architecture (a private copy; do not mutate its arrays).</summary>
    public UNetConfig Config { get; }

    /// <summary>The op list this module was built from and interprets (<see cref="NetworkDescription.FromConfig"/>).</summary>
    public NetworkDescription Description { get; }

    /// <summary>What <see cref="forward"/> executes per op: the op's kind and the weights of the layer it calls,
    /// read from the layer's registered parameters (checked against the description by tests).</summary>
    public IReadOnlyList<BackendStep> Steps { get; }

    /// <summary>
    /// Called after each op of <see cref="forward"/> with the op's index and its output (borrowed: valid during the
    /// call only); null (the default) costs nothing. For tests and tools that check the execution op by op.
    /// </summary>
    public Action<int, Tensor>? Trace { get; set; }

    /// <summary>
    /// Layout and precision of the convolutions (default: as the weights are). Training sets it from
    /// <c>--compute</c>; it changes rounding only, so a model trained with one mode samples with any other. The
    /// attention's 1×1 convolutions always run as the weights are.
    /// </summary>
    public ConvolutionCompute Compute { get; set; }

    /// <summary>Total number of trainable parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// F(x; c_noise, class). <paramref name="x"/> is [B, InChannels, H, W] (already scaled by c_in),
    /// <paramref name="cNoise"/> is [B] (= ¼·ln σ), <paramref name="classLabels"/> is int64 [B] in
    /// [0, ClassCount) for a class-conditional network and null otherwise. Returns [B, OutChannels, H, W] in the
    /// type of the weights (inputs are cast to it).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, sizes or labels do not fit the configuration.</exception>
    public override Tensor forward(Tensor x, Tensor cNoise, Tensor? classLabels)
    {
        CheckInputs(x, cNoise, classLabels);
        using var scope = NewDisposeScope();
        // Compute in the weights' type (float32, or bfloat16 for inference, see NetworkPrecision); the output is
        // in that type too and the preconditioning casts it back.
        var dtype = ((Conv2d)steps[firstConvOp].Layer!).weight!.dtype;
        var run = new Run(this, x.to(dtype), cNoise, classLabels, dtype, training, Compute);
        var values = new Tensor?[steps.Length];
        var trace = Trace;
        for (int i = 0; i < steps.Length; i++)
        {
            var op = Description.Ops[i];
            Tensor result;
            using (var opScope = NewDisposeScope())
            {
                result = steps[i].Execute(run, op, i, values);
                result.MoveToOuterDisposeScope();
            }
            values[i] = result;
            trace?.Invoke(i, result);
            // Free every value whose last reader this was (the graph keeps what backward needs).
            foreach (var input in op.Inputs)
                if (ValueIndex(input) is int j and >= 0 && lastUse[j] == i)
                {
                    values[j]!.Dispose();
                    values[j] = null;
                }
        }
        return values[^1]!.MoveToOuterDisposeScope();
    }

    // ---- construction -----------------------------------------------------------------------------------

    private Step CreateStep(LayerOp op, Dictionary<string, nn.Module> groups)
    {
        var cfg = Config;
        switch (op.Kind)
        {
            case LayerOpKind.NoiseEmbedding:
                var embedding = new NoiseEmbedding(cfg.NoiseEmbedding, 2 * (int)op.Parameters[0].Shape[0]);
                if (embedding.InputScale != op.Scale)
                    throw new InvalidOperationException($"{op}: the noise embedding scales by {embedding.InputScale}, the description by {op.Scale}");
                return Layer(op, embedding, groups);
            case LayerOpKind.Linear:
                var w = op.Parameters[0].Shape;
                return Layer(op, nn.Linear(w[1], w[0]), groups);
            case LayerOpKind.Embedding:
                var e = op.Parameters[0].Shape;
                return Layer(op, nn.Embedding(e[0], e[1]), groups);
            case LayerOpKind.Conv2d:
                return Layer(op, Conv(op.Parameters[0].Shape, op.Circular, op.ZeroInitialized), groups);
            case LayerOpKind.GroupNorm:
                return Layer(op, GroupNorm(op), groups);
            case LayerOpKind.Attention:
            {
                // One group (…attn) with norm, qkv and proj, created in that order; proj starts at zero.
                var attn = new LayerGroup();
                Register(op.Module, attn, groups);
                var norm = GroupNorm(op);
                attn.register_module("norm", norm);
                var qkv = Conv(op.Parameters[2].Shape, false, false);
                attn.register_module("qkv", qkv);
                var proj = Conv(op.Parameters[4].Shape, false, true);
                attn.register_module("proj", proj);
                return new Step(null, [norm, qkv, proj], WeightNames(op.Module, attn));
            }
            default:
                return new Step(null, [], []);
        }
    }

    private static Conv2d Conv(long[] weightShape, bool circular, bool zeroInit)
    {
        long cout = weightShape[0], cin = weightShape[1], k = weightShape[2];
        var conv = k == 3
            ? nn.Conv2d(cin, cout, 3, padding: 1, padding_mode: circular ? PaddingModes.Circular : PaddingModes.Zeros)
            : nn.Conv2d(cin, cout, k);
        if (zeroInit) Init.ZeroParameters(conv);
        return conv;
    }

    private static GroupNorm GroupNorm(LayerOp op)
    {
        var norm = Normalization.GroupNorm(op.Channels, op.Epsilon);
        if (norm.num_groups != op.Groups)
            throw new InvalidOperationException($"{op}: GroupNorm has {norm.num_groups} groups, the description {op.Groups}");
        return norm;
    }

    private Step Layer(LayerOp op, nn.Module layer, Dictionary<string, nn.Module> groups)
    {
        Register(op.Module, layer, groups);
        return new Step(layer, [], WeightNames(op.Module, layer));
    }

    // The layer's parameters and buffers under its module name, in registration order: what forward reads.
    private static string[] WeightNames(string module, nn.Module layer) =>
        [.. layer.named_parameters().Select(p => $"{module}.{p.name}").Concat(layer.named_buffers().Select(b => $"{module}.{b.name}"))];

    // Registers `layer` at the dotted path, creating the group modules of its prefixes ("enc", "enc.0") on first use.
    private void Register(string path, nn.Module layer, Dictionary<string, nn.Module> groups)
    {
        int dot = path.LastIndexOf('.');
        var parent = dot < 0 ? this : Group(path[..dot], groups);
        parent.register_module(path[(dot + 1)..], layer);
        groups[path] = layer;
    }

    private nn.Module Group(string path, Dictionary<string, nn.Module> groups)
    {
        if (groups.TryGetValue(path, out var group)) return group;
        group = new LayerGroup();
        Register(path, group, groups);
        return group;
    }

    private static int ValueIndex(string name) =>
        name.Length > 1 && name[0] == 'v' && int.TryParse(name.AsSpan(1), out int i) ? i : -1;

    private static int[] LastUses(NetworkDescription description)
    {
        var ops = description.Ops;
        var last = new int[ops.Count];
        Array.Fill(last, -1);
        for (int i = 0; i < ops.Count; i++)
        {
            if (ops[i].Output != $"v{i}")
                throw new InvalidOperationException($"op {i} writes '{ops[i].Output}': the interpreter expects 'v{i}'");
            foreach (var input in ops[i].Inputs)
                if (ValueIndex(input) is int j and >= 0) last[j] = i;
        }
        return last;
    }

    // ---- interpretation ---------------------------------------------------------------------------------

    /// <summary>The inputs and settings of one forward call.</summary>
    private sealed record Run(UNet Net, Tensor X, Tensor CNoise, Tensor? Labels, ScalarType DType, bool Training, ConvolutionCompute Compute);

    /// <summary>A module with children only (enc, enc.0, enc.0.attn, …): the state_dict's name hierarchy.</summary>
    private sealed class LayerGroup() : nn.Module("LayerGroup");

    /// <summary>One op's layer(s) and the weights it reads; <see cref="Execute"/> computes the op with TorchSharp.</summary>
    private sealed class Step(nn.Module? layer, nn.Module[] parts, string[] weights)
    {
        public nn.Module? Layer { get; } = layer;
        public string[] Weights { get; } = weights;

        public Tensor Execute(Run run, LayerOp op, int index, Tensor?[] values)
        {
            Tensor In(int k)
            {
                string name = op.Inputs[k];
                return name switch
                {
                    NetworkDescription.InputX => run.X,
                    NetworkDescription.InputNoise => run.CNoise,
                    NetworkDescription.InputLabels => run.Labels!,
                    _ => values[ValueIndex(name)] ?? throw new InvalidOperationException($"op {index} reads {name} after it was freed"),
                };
            }
            switch (op.Kind)
            {
                case LayerOpKind.NoiseEmbedding:
                    // The sinusoidal embedding is computed in at least float32 (see NoiseEmbedding), then cast.
                    return ((NoiseEmbedding)Layer!).forward(In(0).to(run.X.device)).to(run.DType);
                case LayerOpKind.Linear:
                    return ((Linear)Layer!).forward(In(0));
                case LayerOpKind.Embedding:
                    return ((Embedding)Layer!).forward(In(0));
                case LayerOpKind.Silu:
                    return nn.functional.silu(In(0));
                case LayerOpKind.Add:
                    return In(0).Plus(In(1));
                case LayerOpKind.Conv2d:
                {
                    var h = In(0);
                    if (index == run.Net.firstConvOp && run.Compute.HasFlag(ConvolutionCompute.ChannelsLast))
                        h = Convolution.ToChannelsLast(h);
                    return Convolution.Apply((Conv2d)Layer!, h, op.Kernel == 3 ? 1 : 0, op.Circular, run.Compute);
                }
                case LayerOpKind.GroupNorm:
                    return ((GroupNorm)Layer!).forward(In(0));
                case LayerOpKind.Modulate:
                {
                    var scaleShift = In(1).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
                    return torch.addcmul(scaleShift[1], In(0), scaleShift[0].Plus(1), One);
                }
                case LayerOpKind.Dropout:
                    return nn.functional.dropout(In(0), op.Rate, run.Training);
                case LayerOpKind.AvgPool2:
                    return nn.functional.avg_pool2d(In(0), [2, 2]);
                case LayerOpKind.UpsampleNearest2:
                    return nn.functional.interpolate(In(0), scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
                case LayerOpKind.Concat:
                    return cat([.. Enumerable.Range(0, op.Inputs.Length).Select(In)], 1);
                case LayerOpKind.PixelUnshuffle2:
                    return nn.functional.pixel_unshuffle(In(0), 2);
                case LayerOpKind.PixelShuffle2:
                    return nn.functional.pixel_shuffle(In(0), 2);
                case LayerOpKind.Attention:
                {
                    // x + proj(attention(qkv(norm(x)))); [B, 3, heads, d, HW] → q, k, v as [B, heads, HW, d].
                    var x = In(0);
                    var (norm, qkv, proj) = ((GroupNorm)parts[0], (Conv2d)parts[1], (Conv2d)parts[2]);
                    long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
                    long heads = op.Heads, d = c / heads;
                    var t = qkv.forward(norm.forward(x)).reshape(b, 3, heads, d, h * w).permute(1, 0, 2, 4, 3);
                    var a = nn.functional.scaled_dot_product_attention(t[0], t[1], t[2]);
                    var y = a.permute(0, 1, 3, 2).reshape(b, c, h, w);
                    return x.Plus(proj.forward(y));
                }
                default:
                    throw new NotSupportedException($"UNet has no TorchSharp mapping for {op.Kind}");
            }
        }
    }

    private void CheckInputs(Tensor x, Tensor cNoise, Tensor? classLabels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(cNoise);
        var cfg = Config;
        if (x.dim() != 4 || x.shape[1] != cfg.InChannels)
            throw new ArgumentException($"x must have shape [B, {cfg.InChannels}, H, W], got [{string.Join(", ", x.shape)}].", nameof(x));
        cfg.ValidateImageSize(x.shape[2], x.shape[3]);
        long b = x.shape[0];
        if (cNoise.dim() != 1 || cNoise.shape[0] != b)
            throw new ArgumentException($"cNoise must have shape [{b}] (one value per sample), got [{string.Join(", ", cNoise.shape)}].", nameof(cNoise));
        if (cfg.ClassCount == 0)
        {
            if (classLabels is not null)
                throw new ArgumentException("classLabels must be null for an unconditional network (ClassCount = 0).", nameof(classLabels));
            return;
        }
        if (classLabels is null)
            throw new ArgumentException($"classLabels are required: this network is conditioned on {cfg.ClassCount} classes.", nameof(classLabels));
        if (classLabels.dtype != ScalarType.Int64 || classLabels.dim() != 1 || classLabels.shape[0] != b)
            throw new ArgumentException($"classLabels must be int64 with shape [{b}], got {classLabels.dtype} [{string.Join(", ", classLabels.shape)}].", nameof(classLabels));
        if (b > 0)
        {
            using var minT = classLabels.min();
            using var maxT = classLabels.max();
            long min = minT.item<long>(), max = maxT.item<long>();
            if (min < 0 || max >= cfg.ClassCount)
                throw new ArgumentException($"classLabels must be in [0, {cfg.ClassCount - 1}], got values in [{min}, {max}].", nameof(classLabels));
        }
    }
}
