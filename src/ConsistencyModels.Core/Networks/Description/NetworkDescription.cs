namespace ConsistencyModels.Networks.Description;

/// <summary>
/// The U-Net F(x; c_noise, labels) of a <see cref="UNetConfig"/> as one flat list of ops, with every weight named as
/// in the model file: the one description of the topology that every backend derives its code from. The TorchSharp
/// <c>UNet</c> builds its layers from it (parameter names, shapes, creation order) and runs its forward by interpreting
/// the list; the TorchScript source and the ONNX graph are generated from it; the GL compute plan dispatches it. Built
/// from the configuration alone, in the libtorch-free ConsistencyModels.Core. Each backend reports what it does per op
/// as <see cref="BackendStep"/>s, and <see cref="Disagreements"/> compares them with this list (tests do, for each backend).
/// </summary>
/// <remarks>
/// Graph inputs: <see cref="InputX"/> [B, InChannels, H, W] (already scaled by c_in), <see cref="InputNoise"/> [B]
/// (c_noise = ¼·ln σ) and, for a class-conditional network, <see cref="InputLabels"/> int64 [B]. The result is the
/// value named <see cref="Output"/>, [B, OutChannels, H, W]. <see cref="LayerOpKind.Dropout"/> ops (only when
/// <see cref="UNetConfig.Dropout"/> &gt; 0) are the identity at inference.
/// </remarks>
public sealed class NetworkDescription
{
    /// <summary>Name of the image input (c_in·x).</summary>
    public const string InputX = "x";

    /// <summary>Name of the noise-condition input c_noise [B].</summary>
    public const string InputNoise = "c_noise";

    /// <summary>Name of the class-label input (int64 [B]); present only when <see cref="UNetConfig.ClassCount"/> &gt; 0.</summary>
    public const string InputLabels = "labels";

    /// <summary>GroupNorm ε of every normalization in the network.</summary>
    public const double GroupNormEpsilon = 1e-5;

    /// <summary>Factor the positional embedding multiplies c_noise by (see NoiseEmbedding).</summary>
    public const double PositionalInputScale = 1000.0;

    private NetworkDescription(UNetConfig config, IReadOnlyList<LayerOp> ops, string output)
    {
        Config = config;
        Ops = ops;
        Output = output;
    }

    /// <summary>The configuration described.</summary>
    public UNetConfig Config { get; }

    /// <summary>The ops in execution order.</summary>
    public IReadOnlyList<LayerOp> Ops { get; }

    /// <summary>Name of the network's output value.</summary>
    public string Output { get; }

    /// <summary>Every weight, in op order (trained parameters and buffers).</summary>
    public IEnumerable<LayerParameter> Parameters => Ops.SelectMany(o => o.Parameters);

    /// <summary>GroupNorm groups for <paramref name="channels"/>: min(32, channels/4) lowered until it divides (≥ 1), as in EDM.</summary>
    public static int GroupCount(int channels)
    {
        int g = Math.Max(1, Math.Min(32, channels / 4));
        while (channels % g != 0) g--;
        return g;
    }

    /// <summary>Heads of an attention layer of <paramref name="channels"/> channels (64 per head where the width allows).</summary>
    public static int Heads(int channels)
    {
        int heads = Math.Max(1, channels / 64);
        while (channels % heads != 0) heads--;
        return heads;
    }

    /// <summary>Describes the (validated) <paramref name="config"/>; mirrors UNet's constructor and forward.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public static NetworkDescription FromConfig(UNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var b = new Builder(config);
        return new NetworkDescription(config, b.Ops, b.Build());
    }

    /// <summary>Whether <paramref name="op"/> is the identity at inference (dropout), so an inference backend skips it
    /// and reads its input where its output is used.</summary>
    public static bool IsInferenceIdentity(LayerOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return op.Kind == LayerOpKind.Dropout;
    }

    /// <summary>
    /// The shape of every op's output for a batch of <paramref name="batch"/> images of <paramref name="height"/> ×
    /// <paramref name="width"/> pixels, in op order: [B, C, H, W] for feature maps, [B, C] for the embedding vectors.
    /// </summary>
    /// <exception cref="ArgumentException">The size is not a positive multiple of the downsampling factor.</exception>
    public IReadOnlyList<long[]> OutputShapes(long batch, long height, long width)
    {
        Config.ValidateImageSize(height, width);
        var sizes = new Dictionary<string, (long h, long w)> { [InputX] = (height, width), [InputNoise] = (0, 0), [InputLabels] = (0, 0) };
        var shapes = new List<long[]>(Ops.Count);
        foreach (var op in Ops)
        {
            var (h, w) = sizes[op.Inputs[0]];
            (h, w) = op.Kind switch
            {
                LayerOpKind.NoiseEmbedding or LayerOpKind.Linear or LayerOpKind.Embedding => (0, 0),
                LayerOpKind.AvgPool2 or LayerOpKind.PixelUnshuffle2 => (h / 2, w / 2),
                LayerOpKind.UpsampleNearest2 or LayerOpKind.PixelShuffle2 => (h * 2, w * 2),
                _ => (h, w),
            };
            sizes[op.Output] = (h, w);
            shapes.Add(h == 0 ? [batch, op.Channels] : [batch, op.Channels, h, w]);
        }
        return shapes;
    }

    /// <summary>
    /// How a backend's steps disagree with this description, one line per problem (empty: they agree op by op). A
    /// backend reports one <see cref="BackendStep"/> per op it executes, in its execution order; they must be the ops
    /// in order, each with the op's kind and exactly its weights (model-file names, in the op's order). An inference
    /// backend may leave out the ops that <see cref="IsInferenceIdentity"/> (<paramref name="inference"/> true).
    /// </summary>
    /// <param name="steps">The backend's steps.</param>
    /// <param name="backend">The backend's name for the messages.</param>
    /// <param name="inference">Whether the backend may skip the inference identities.</param>
    /// <param name="ordered">Whether the steps must come in op order; false for a backend that reorders (a GL plan that
    /// computes the embedding MLP first, or fuses an op into an earlier dispatch): each op must still appear exactly
    /// once, with its kind and weights.</param>
    public IReadOnlyList<string> Disagreements(IEnumerable<BackendStep> steps, string backend, bool inference, bool ordered = true)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var problems = new List<string>();
        var expected = Ops.Select((op, i) => (op, i)).Where(e => !(inference && IsInferenceIdentity(e.op))).ToList();
        var actual = ordered ? steps.ToList() : [.. steps.OrderBy(s => s.OpIndex)];
        for (int k = 0; k < Math.Max(expected.Count, actual.Count); k++)
        {
            if (k >= actual.Count) { problems.Add($"{backend}: no step for op {expected[k].i} ({expected[k].op})"); break; }
            if (k >= expected.Count) { problems.Add($"{backend}: step {k} (op {actual[k].OpIndex}, {actual[k].Kind}) is beyond the description's ops"); break; }
            var (op, i) = expected[k];
            var step = actual[k];
            if (step.OpIndex != i) { problems.Add($"{backend}: step {k} executes op {step.OpIndex}, expected op {i} ({op})"); break; }
            if (step.Kind != op.Kind) problems.Add($"{backend}: op {i} is {op.Kind} but the backend executes {step.Kind}");
            var weights = op.Parameters.Select(p => p.Name).ToArray();
            if (!step.Weights.SequenceEqual(weights))
                problems.Add($"{backend}: op {i} ({op.Kind}) reads [{string.Join(", ", step.Weights)}], expected [{string.Join(", ", weights)}]");
        }
        return problems;
    }

    /// <summary>One op per line (for diffs in tests and docs).</summary>
    public override string ToString() => string.Join(Environment.NewLine, Ops.Select(o => o.ToString()));

    private sealed class Builder(UNetConfig cfg)
    {
        private int next;
        public List<LayerOp> Ops { get; } = [];

        private string Emit(LayerOpKind kind, string[] inputs, LayerParameter[] parameters, Func<LayerOp, LayerOp>? set = null)
        {
            var op = new LayerOp(kind, $"v{next++}", inputs, parameters);
            Ops.Add(set is null ? op : set(op));
            return op.Output;
        }

        private static LayerParameter P(string name, params long[] shape) => new(name, shape);

        private string Linear(string module, string x, int cin, int cout) =>
            Emit(LayerOpKind.Linear, [x], [P($"{module}.weight", cout, cin), P($"{module}.bias", cout)],
                o => o with { Module = module, Channels = cout });

        private string Conv(string module, string x, int cin, int cout, int kernel, bool zeroInit = false) =>
            Emit(LayerOpKind.Conv2d, [x], [P($"{module}.weight", cout, cin, kernel, kernel), P($"{module}.bias", cout)],
                o => o with { Module = module, Channels = cout, Kernel = kernel, Circular = kernel == 3 && cfg.CircularPadding, ZeroInitialized = zeroInit });

        private string Dropout(string x, int channels) => cfg.Dropout > 0
            ? Emit(LayerOpKind.Dropout, [x], [], o => o with { Channels = channels, Rate = cfg.Dropout })
            : x;

        private string Norm(string module, string x, int channels) =>
            Emit(LayerOpKind.GroupNorm, [x], [P($"{module}.weight", channels), P($"{module}.bias", channels)],
                o => o with { Module = module, Channels = channels, Groups = GroupCount(channels), Epsilon = GroupNormEpsilon });

        private string Silu(string x, int channels) => Emit(LayerOpKind.Silu, [x], [], o => o with { Channels = channels });

        // A residual block (EDM's UNetBlock without resampling): h = conv0(silu(norm0(x)));
        // h = silu(norm1(h)·(1 + scale) + shift); h = conv1(dropout(h)) + skip(x); [attn].
        private string Block(string module, string x, string emb, int cin, int cout, bool attention)
        {
            int e = cfg.ResolvedEmbeddingChannels;
            var h = Conv($"{module}.conv0", Silu(Norm($"{module}.norm0", x, cin), cin), cin, cout, 3);
            var p = Linear($"{module}.affine", emb, e, 2 * cout);
            var n = Norm($"{module}.norm1", h, cout);
            var m = Emit(LayerOpKind.Modulate, [n, p], [], o => o with { Channels = cout });
            h = Conv($"{module}.conv1", Dropout(Silu(m, cout), cout), cout, cout, 3, zeroInit: true);
            var skip = cin != cout ? Conv($"{module}.skip", x, cin, cout, 1) : x;
            h = Emit(LayerOpKind.Add, [h, skip], [], o => o with { Channels = cout });
            if (!attention) return h;
            string a = $"{module}.attn";
            return Emit(LayerOpKind.Attention, [h],
                [P($"{a}.norm.weight", cout), P($"{a}.norm.bias", cout), P($"{a}.qkv.weight", 3 * cout, cout, 1, 1),
                    P($"{a}.qkv.bias", 3 * cout), P($"{a}.proj.weight", cout, cout, 1, 1), P($"{a}.proj.bias", cout)],
                o => o with { Module = a, Channels = cout, Heads = Heads(cout), Groups = GroupCount(cout), Epsilon = GroupNormEpsilon });
        }

        public string Build()
        {
            int c = cfg.BaseChannels, e = cfg.ResolvedEmbeddingChannels, levels = cfg.ChannelMultipliers.Length, r = cfg.ResBlocksPerLevel;
            bool Attn(int level) => cfg.AttentionLevels.Contains(level);
            bool positional = cfg.NoiseEmbedding == NoiseEmbeddingKind.Positional;

            var emb = Emit(LayerOpKind.NoiseEmbedding, [InputNoise], [new LayerParameter("map_noise.freqs", [c / 2], IsBuffer: true)],
                o => o with { Module = "map_noise", Channels = c / 2 * 2, Scale = positional ? PositionalInputScale : 1.0 });
            emb = Linear("map_layer1", Silu(Linear("map_layer0", emb, c / 2 * 2, e), e), e, e);
            if (cfg.ClassCount > 0)
            {
                var label = Emit(LayerOpKind.Embedding, [InputLabels], [P("map_label.weight", cfg.ClassCount, e)],
                    o => o with { Module = "map_label", Channels = e });
                emb = Emit(LayerOpKind.Add, [emb, label], [], o => o with { Channels = e });
            }
            emb = Silu(emb, e);

            int inC = cfg.InChannels * (cfg.PixelUnshuffleStem ? 4 : 1);
            var h = cfg.PixelUnshuffleStem ? Emit(LayerOpKind.PixelUnshuffle2, [InputX], [], o => o with { Channels = inC }) : InputX;
            int cout = c * cfg.ChannelMultipliers[0];
            h = Conv("conv_in", h, inC, cout, 3);
            var skips = new Stack<(string value, int channels)>();
            skips.Push((h, cout));
            int bi = 0;
            for (int level = 0; level < levels; level++)
            {
                if (level > 0)
                {
                    h = Emit(LayerOpKind.AvgPool2, [h], [], o => o with { Channels = cout });
                    skips.Push((h, cout));
                }
                for (int i = 0; i < r; i++)
                {
                    int cin = cout;
                    cout = c * cfg.ChannelMultipliers[level];
                    h = Block($"enc.{bi++}", h, emb, cin, cout, Attn(level));
                    skips.Push((h, cout));
                }
            }
            h = Block("mid.0", h, emb, cout, cout, Attn(levels - 1));
            h = Block("mid.1", h, emb, cout, cout, false);
            bi = 0;
            for (int level = levels - 1; level >= 0; level--)
            {
                if (level < levels - 1)
                    h = Emit(LayerOpKind.UpsampleNearest2, [h], [], o => o with { Channels = cout });
                for (int i = 0; i <= r; i++)
                {
                    var (skip, skipChannels) = skips.Pop();
                    int cin = cout + skipChannels;
                    h = Emit(LayerOpKind.Concat, [h, skip], [], o => o with { Channels = cin });
                    cout = c * cfg.ChannelMultipliers[level];
                    h = Block($"dec.{bi++}", h, emb, cin, cout, Attn(level));
                }
            }
            int outC = cfg.OutChannels * (cfg.PixelUnshuffleStem ? 4 : 1);
            h = Conv("out_conv", Silu(Norm("out_norm", h, cout), cout), cout, outC, 3, zeroInit: true);
            if (cfg.PixelUnshuffleStem)
                h = Emit(LayerOpKind.PixelShuffle2, [h], [], o => o with { Channels = cfg.OutChannels });
            return h;
        }
    }
}
