using ConsistencyModels.Networks.Description;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Compute;

/// <summary>
/// The U-Net F(x; c_noise, labels) of a <see cref="NetworkDescription"/> as a fixed plan of GL compute dispatches, batch 1,
/// float32. Derived from the description's ops alone (no topology of its own): ops that depend only on c_noise and the
/// label (the noise/class embedding MLP) run on the CPU (<see cref="EmbeddingMlp"/>) once per (σ, class) and live in a
/// small SSBO; every other op becomes dispatches over planar [C, H, W] values in one activation SSBO (the arena):
/// <list type="bullet">
/// <item>Conv2d (3×3 circular/zero, 1×1) → nn_conv, a residual Add that consumes the convolution's only use fused in;</item>
/// <item>GroupNorm [→ Modulate] [→ SiLU] (each the previous one's only use) → nn_groupnorm: chunk statistics, their combination per group, then one fused apply;</item>
/// <item>Concat → no dispatch: its consumers (GroupNorm, Conv2d) read two channel segments;</item>
/// <item>Attention → GroupNorm, qkv 1×1 conv, nn_attention (online softmax), proj 1×1 conv with the residual;</item>
/// <item>Add, SiLU, Modulate (when not fused), AvgPool2, UpsampleNearest2, PixelUnshuffle2, PixelShuffle2 → nn_elementwise.</item>
/// </list>
/// Weights are uploaded once (convolutions repacked as vec4 over output channels). Values get arena offsets by liveness
/// (first fit; a value's space is reused once its last reader ran), per texture size. Use on the GL context's thread.
/// </summary>
internal sealed unsafe class GlComputeNetwork : IDisposable
{
    private enum NodeKind { Conv, Norm, Elementwise, AttentionCore }

    private enum ElementOp { Add = 1, Silu = 2, Modulate = 3, AvgPool = 4, Upsample = 5, Unshuffle = 6, Shuffle = 7 }

    /// <summary>A value of the image domain: channels at a resolution level (size = image size / 2^Level).</summary>
    private sealed class Value(string name, int channels, int level)
    {
        public string Name { get; } = name;
        public int Channels { get; } = channels;
        public int Level { get; } = level;
        public Value[]? Parts { get; init; }  // a concatenation: no storage of its own
        public bool IsInput { get; init; }    // the graph input x (the sampler's region)
        public int LastUse { get; set; } = -1;
        public long Offset { get; set; } = -1;
    }

    private sealed class Node
    {
        public NodeKind Kind;
        public ElementOp Op;
        public Value[] Inputs = [];
        public Value? Residual;
        public Value Output = null!;
        public int Kernel;            // conv kernel size
        public bool Circular;
        public int WeightOffset, BiasOffset;  // conv: vec4 index / float index; norm: gamma / beta float index
        public int Groups;
        public double Epsilon;
        public bool Modulate, Silu;
        public string? Embedding;     // the embedding value a Modulate reads
        public int Heads, HeadDim;
        public string Source = "";    // the description op(s), for messages
    }

    private const int ConvBlock = 8; // output channels per invocation of nn_conv
    private const int NormChunk = 4096; // elements per GroupNorm partial-statistics workgroup
    private readonly GL gl;
    private readonly GlKernels kernels;
    private readonly List<Node> nodes = [];
    private readonly List<BackendStep> steps = [];
    private readonly Value input, output;
    private uint weights, scratch;
    private Dispatch[] dispatches = [];
    private int width, height;
    private bool disposed;

    /// <param name="gl">The current context's GL.</param>
    /// <param name="kernels">The context's programs.</param>
    /// <param name="description">The network.</param>
    /// <param name="read">Tensor name → its float32 values, row-major (the model file's tensors).</param>
    /// <param name="embedding">The CPU part; its <see cref="EmbeddingMlp.Offset"/> tells where each embedding value the
    /// image ops read lies in an embedding slot.</param>
    public GlComputeNetwork(GL gl, GlKernels kernels, NetworkDescription description, Func<string, float[]> read, EmbeddingMlp embedding)
    {
        this.gl = gl;
        this.kernels = kernels;
        Description = description;
        var cfg = description.Config;
        input = new Value(NetworkDescription.InputX, cfg.InChannels, 0) { IsInput = true };
        var values = new Dictionary<string, Value>(StringComparer.Ordinal) { [input.Name] = input };
        var packed = new List<float>();
        var image = description.Ops.Where(o => !embedding.IsEmbeddingOp(o)).ToList();
        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var op in image)
            foreach (var name in op.Inputs)
                consumers[name] = consumers.GetValueOrDefault(name) + 1;
        consumers[description.Output] = consumers.GetValueOrDefault(description.Output) + 1;
        var byOutput = image.ToDictionary(o => o.Output, StringComparer.Ordinal);
        int Uses(string name) => consumers.GetValueOrDefault(name);
        LayerOp? OnlyConsumer(string name) => Uses(name) == 1 ? image.FirstOrDefault(o => o.Inputs.Contains(name)) : null;
        Value Get(string name) => values.TryGetValue(name, out var v) ? v
            : throw new NotSupportedException($"GL backend: value '{name}' is read before it is computed on the GPU (an embedding value outside Modulate?).");

        var done = new HashSet<LayerOp>();
        var index = description.Ops.Select((o, i) => (o, i)).ToDictionary(e => e.o, e => e.i);
        var names = new List<string>();
        // Every weight read goes through here, so the steps below list what the plan really reads, op by op.
        float[] Read(string name) { names.Add(name); return read(name); }
        void Step(LayerOp op, bool weights = true)
        {
            steps.Add(new BackendStep(index[op], op.Kind, weights ? names.ToArray() : []));
            if (weights) names.Clear();
        }
        foreach (var op in image)
        {
            if (done.Contains(op)) continue;
            done.Add(op);
            names.Clear();
            switch (op.Kind)
            {
                case LayerOpKind.Conv2d:
                {
                    var x = Get(op.Inputs[0]);
                    var node = new Node
                    {
                        Kind = NodeKind.Conv, Inputs = [x], Kernel = op.Kernel, Circular = op.Circular, Source = op.ToString(),
                        WeightOffset = PackConv(packed, Read(op.Parameters[0].Name), op.Channels, x.Channels, op.Kernel),
                        BiasOffset = PackFloats(packed, Read(op.Parameters[1].Name)),
                    };
                    string result = op.Output;
                    // h + skip: the residual add fused into the convolution that computes h.
                    if (OnlyConsumer(op.Output) is { Kind: LayerOpKind.Add } add && !done.Contains(add))
                    {
                        string other = add.Inputs[0] == op.Output ? add.Inputs[1] : add.Inputs[0];
                        if (other != op.Output && values.TryGetValue(other, out var skip) && skip.Parts is null)
                        {
                            node.Residual = skip;
                            result = add.Output;
                            done.Add(add);
                        }
                    }
                    node.Output = values[result] = new Value(result, op.Channels, x.Level);
                    nodes.Add(node);
                    Step(op);
                    if (result != op.Output) Step(OnlyConsumer(op.Output)!, weights: false);
                    break;
                }
                case LayerOpKind.GroupNorm:
                {
                    var x = Get(op.Inputs[0]);
                    var node = new Node
                    {
                        Kind = NodeKind.Norm, Inputs = [x], Groups = op.Groups, Epsilon = op.Epsilon, Source = op.ToString(),
                        WeightOffset = PackFloats(packed, Read(op.Parameters[0].Name)),
                        BiasOffset = PackFloats(packed, Read(op.Parameters[1].Name)),
                    };
                    string result = op.Output;
                    Step(op);
                    if (OnlyConsumer(result) is { Kind: LayerOpKind.Modulate } mod && mod.Inputs[0] == result && embedding.Offset(mod.Inputs[1]) >= 0)
                    {
                        Step(mod, weights: false);
                        node.Modulate = true;
                        node.Embedding = mod.Inputs[1];
                        result = mod.Output;
                        done.Add(mod);
                    }
                    if (OnlyConsumer(result) is { Kind: LayerOpKind.Silu } silu)
                    {
                        Step(silu, weights: false);
                        node.Silu = true;
                        result = silu.Output;
                        done.Add(silu);
                    }
                    node.Output = values[result] = new Value(result, op.Channels, x.Level);
                    nodes.Add(node);
                    break;
                }
                case LayerOpKind.Concat:
                {
                    var parts = op.Inputs.Select(Get).ToArray();
                    if (parts.Length != 2 || parts.Any(p => p.Parts is not null || p.IsInput) || parts[0].Level != parts[1].Level)
                        throw new NotSupportedException($"GL backend: only a concatenation of two computed values at one resolution is supported ({op}).");
                    values[op.Output] = new Value(op.Output, op.Channels, parts[0].Level) { Parts = parts };
                    Step(op); // by addressing: its readers take two channel segments
                    break;
                }
                case LayerOpKind.Attention:
                {
                    var x = Get(op.Inputs[0]);
                    int c = op.Channels;
                    var ps = op.Parameters;
                    var normed = new Value(op.Output + ".norm", c, x.Level);
                    nodes.Add(new Node
                    {
                        Kind = NodeKind.Norm, Inputs = [x], Output = normed, Groups = op.Groups, Epsilon = op.Epsilon, Source = op.ToString(),
                        WeightOffset = PackFloats(packed, Read(ps[0].Name)), BiasOffset = PackFloats(packed, Read(ps[1].Name)),
                    });
                    var qkv = new Value(op.Output + ".qkv", 3 * c, x.Level);
                    nodes.Add(new Node
                    {
                        Kind = NodeKind.Conv, Inputs = [normed], Output = qkv, Kernel = 1, Source = op.ToString(),
                        WeightOffset = PackConv(packed, Read(ps[2].Name), 3 * c, c, 1), BiasOffset = PackFloats(packed, Read(ps[3].Name)),
                    });
                    var attended = new Value(op.Output + ".attended", c, x.Level);
                    nodes.Add(new Node
                    {
                        Kind = NodeKind.AttentionCore, Inputs = [qkv], Output = attended, Heads = op.Heads, HeadDim = c / op.Heads, Source = op.ToString(),
                    });
                    var result = values[op.Output] = new Value(op.Output, c, x.Level);
                    nodes.Add(new Node
                    {
                        Kind = NodeKind.Conv, Inputs = [attended], Residual = x, Output = result, Kernel = 1, Source = op.ToString(),
                        WeightOffset = PackConv(packed, Read(ps[4].Name), c, c, 1), BiasOffset = PackFloats(packed, Read(ps[5].Name)),
                    });
                    Step(op);
                    break;
                }
                case LayerOpKind.Add:
                case LayerOpKind.Silu:
                case LayerOpKind.Modulate:
                case LayerOpKind.AvgPool2:
                case LayerOpKind.UpsampleNearest2:
                case LayerOpKind.PixelUnshuffle2:
                case LayerOpKind.PixelShuffle2:
                {
                    var x = Get(op.Inputs[0]);
                    if (x.Parts is not null) throw new NotSupportedException($"GL backend: {op.Kind} of a concatenation is not supported ({op}).");
                    var (kind, level, channels) = op.Kind switch
                    {
                        LayerOpKind.Add => (ElementOp.Add, x.Level, x.Channels),
                        LayerOpKind.Silu => (ElementOp.Silu, x.Level, x.Channels),
                        LayerOpKind.Modulate => (ElementOp.Modulate, x.Level, x.Channels),
                        LayerOpKind.AvgPool2 => (ElementOp.AvgPool, x.Level + 1, x.Channels),
                        LayerOpKind.UpsampleNearest2 => (ElementOp.Upsample, x.Level - 1, x.Channels),
                        LayerOpKind.PixelUnshuffle2 => (ElementOp.Unshuffle, x.Level + 1, x.Channels * 4),
                        _ => (ElementOp.Shuffle, x.Level - 1, x.Channels / 4),
                    };
                    var node = new Node { Kind = NodeKind.Elementwise, Op = kind, Inputs = [x], Source = op.ToString() };
                    if (kind == ElementOp.Add)
                    {
                        var b = Get(op.Inputs[1]);
                        if (b.Parts is not null) throw new NotSupportedException($"GL backend: Add of a concatenation is not supported ({op}).");
                        node.Inputs = [x, b];
                    }
                    if (kind == ElementOp.Modulate)
                    {
                        if (embedding.Offset(op.Inputs[1]) < 0) throw new NotSupportedException($"GL backend: Modulate needs an embedding value ({op}).");
                        node.Embedding = op.Inputs[1];
                    }
                    node.Output = values[op.Output] = new Value(op.Output, channels, level);
                    nodes.Add(node);
                    Step(op);
                    break;
                }
                case LayerOpKind.Dropout when NetworkDescription.IsInferenceIdentity(op):
                    values[op.Output] = Get(op.Inputs[0]); // the identity at inference: readers read its input
                    break;
                default:
                    throw new NotSupportedException($"GL backend: op {op.Kind} on image values is not supported ({op}).");
            }
        }
        steps.InsertRange(0, embedding.Steps(index));
        output = Get(description.Output);
        if (output.Parts is not null || output.IsInput || output.Level != 0)
            throw new NotSupportedException($"GL backend: the network output '{description.Output}' must be a computed value at the image size.");
        output.LastUse = int.MaxValue;
        for (int i = 0; i < nodes.Count; i++)
            foreach (var v in nodes[i].Inputs.Append(nodes[i].Residual))
            {
                if (v is null) continue;
                foreach (var part in v.Parts ?? [v]) part.LastUse = Math.Max(part.LastUse, i);
            }

        weights = gl.GenBuffer();
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, weights);
        var data = packed.ToArray();
        fixed (float* p = data)
            gl.BufferStorage(BufferStorageTarget.ShaderStorageBuffer, (nuint)(Math.Max(1, data.Length) * sizeof(float)), p, BufferStorageMask.None);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
        WeightCount = data.Length;
        Embedding = embedding;
    }

    /// <summary>The network this plan was derived from.</summary>
    public NetworkDescription Description { get; }

    /// <summary>The description's ops this plan executes, each once, with the weights it reads for them (CPU embedding
    /// ops first, fused ops at their dispatch): checked by <see cref="NetworkDescription.Disagreements"/> (unordered).</summary>
    public IReadOnlyList<BackendStep> Steps => steps;

    /// <summary>The CPU part (noise/class embedding MLP).</summary>
    public EmbeddingMlp Embedding { get; }

    /// <summary>Floats in the weight buffer (packed, with padding).</summary>
    public int WeightCount { get; }

    /// <summary>GL name of the weight SSBO.</summary>
    public uint WeightBuffer => weights;

    /// <summary>GL name of the GroupNorm scratch SSBO (0 before <see cref="Prepare"/>).</summary>
    public uint ScratchBuffer => scratch;

    /// <summary>Dispatches of one evaluation (after <see cref="Prepare"/>).</summary>
    public int DispatchCount => dispatches.Length;

    /// <summary>Arena floats the network's values need at the prepared size (beyond the fixed regions).</summary>
    public long ArenaFloats { get; private set; }

    /// <summary>The network output F's arena offset (floats) at the prepared size.</summary>
    public long OutputOffset => output.Offset;

    /// <summary>
    /// Assigns arena offsets for a <paramref name="w"/> × <paramref name="h"/> texture, starting at
    /// <paramref name="start"/> (floats; the input region <paramref name="inputOffset"/> holds c_in·x), and builds the
    /// dispatch list. Returns the arena floats used from <paramref name="start"/>.
    /// </summary>
    public long Prepare(int w, int h, long inputOffset, long start, bool keepAll = false)
    {
        input.Offset = inputOffset;
        long Size(Value v) => (long)v.Channels * (w >> v.Level) * (h >> v.Level);
        var free = new List<(long Offset, long Size)>();
        long top = start;
        long Allocate(long size)
        {
            size = (size + 3) & ~3L;
            for (int i = 0; i < free.Count; i++)
                if (free[i].Size >= size)
                {
                    long at = free[i].Offset;
                    if (free[i].Size == size) free.RemoveAt(i);
                    else free[i] = (at + size, free[i].Size - size);
                    return at;
                }
            long o = top;
            top += size;
            return o;
        }
        void Release(long offset, long size)
        {
            size = (size + 3) & ~3L;
            free.Add((offset, size));
            free.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            for (int i = free.Count - 2; i >= 0; i--)
                if (free[i].Offset + free[i].Size == free[i + 1].Offset)
                {
                    free[i] = (free[i].Offset, free[i].Size + free[i + 1].Size);
                    free.RemoveAt(i + 1);
                }
        }
        var released = new HashSet<Value>();
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            n.Output.Offset = Allocate(Size(n.Output));
            foreach (var v in n.Inputs.Append(n.Residual))
            {
                if (v is null) continue;
                foreach (var part in v.Parts ?? [v])
                    if (!keepAll && part.LastUse == i && !part.IsInput && released.Add(part))
                        Release(part.Offset, Size(part));
            }
        }
        width = w;
        height = h;
        long scratchFloats = 4;
        foreach (var n in nodes.Where(n => n.Kind == NodeKind.Norm))
            scratchFloats = Math.Max(scratchFloats, 2L * n.Groups * (Chunks(n) + 1));
        if (scratch != 0) gl.DeleteBuffer(scratch);
        scratch = gl.GenBuffer();
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, scratch);
        gl.BufferData(BufferTargetARB.ShaderStorageBuffer, (nuint)(scratchFloats * sizeof(float)), null, BufferUsageARB.DynamicCopy);
        gl.BindBuffer(BufferTargetARB.ShaderStorageBuffer, 0);
        dispatches = nodes.SelectMany(Build).ToArray();
        ArenaFloats = top - start;
        return ArenaFloats;
    }

    /// <summary>Every value the dispatches write (name, arena offset, channels, resolution level) at the prepared size;
    /// with <c>keepAll</c> each keeps its own storage, so tests can read them all after an evaluation.</summary>
    internal IEnumerable<(string Name, long Offset, int Channels, int Level)> Materialized() =>
        nodes.Select(n => (n.Output.Name, n.Output.Offset, n.Output.Channels, n.Output.Level));

    /// <summary>Records one evaluation F(input) into the output value, reading the embedding slot at
    /// <paramref name="embeddingBase"/> (floats). The arena, weight and embedding buffers must be bound (bindings 0, 1, 2).</summary>
    public void Evaluate(int embeddingBase)
    {
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 1, weights);
        gl.BindBufferBase(BufferTargetARB.ShaderStorageBuffer, 5, scratch);
        uint program = 0;
        foreach (ref readonly var d in dispatches.AsSpan())
        {
            if (d.Program != program) { gl.UseProgram(d.Program); program = d.Program; }
            for (int k = 0; k < d.Locations.Length; k++) gl.Uniform1(d.Locations[k], d.Values[k]);
            if (d.SizeLocation >= 0) gl.Uniform2(d.SizeLocation, d.SizeX, d.SizeY);
            if (d.EpsilonLocation >= 0) gl.Uniform1(d.EpsilonLocation, d.Epsilon);
            if (d.EmbeddingLocation >= 0) gl.Uniform1(d.EmbeddingLocation, embeddingBase + d.EmbeddingOffset);
            gl.DispatchCompute(d.GroupsX, d.GroupsY, d.GroupsZ);
            gl.MemoryBarrier(MemoryBarrierMask.ShaderStorageBarrierBit);
        }
    }

    /// <summary>FLOPs of one evaluation at the prepared size (a multiply-add counts 2; convolutions and attention only,
    /// the elementwise ops add well under 1 %), and bytes the dispatches read and write (each value and weight once per
    /// dispatch that touches it: the traffic with perfect on-chip reuse inside a dispatch).</summary>
    public (double Flops, double Bytes) Cost()
    {
        double flops = 0, bytes = 0;
        foreach (var n in nodes)
        {
            int l = n.Output.Level;
            double pixels = (double)(width >> l) * (height >> l);
            double inElems = n.Inputs.Sum(v => (double)v.Channels * (width >> v.Level) * (height >> v.Level));
            double outElems = n.Output.Channels * pixels;
            switch (n.Kind)
            {
                case NodeKind.Conv:
                    int cin = n.Inputs[0].Channels;
                    flops += 2.0 * pixels * n.Output.Channels * cin * n.Kernel * n.Kernel;
                    bytes += 4 * (inElems + outElems + (n.Residual is null ? 0 : outElems) + (double)n.Output.Channels * cin * n.Kernel * n.Kernel);
                    break;
                case NodeKind.AttentionCore:
                    flops += 4.0 * pixels * pixels * n.Heads * n.HeadDim;
                    bytes += 4 * (inElems + outElems);
                    break;
                case NodeKind.Norm:
                    flops += 8.0 * outElems;
                    bytes += 4 * (2 * inElems + outElems); // two reads (mean, variance) then the normalized write
                    break;
                default:
                    flops += outElems;
                    bytes += 4 * (inElems + outElems);
                    break;
            }
        }
        return (flops, bytes);
    }

    private readonly record struct Dispatch(uint Program, int[] Locations, int[] Values, int SizeLocation, int SizeX, int SizeY,
        int EpsilonLocation, float Epsilon, int EmbeddingLocation, int EmbeddingOffset, uint GroupsX, uint GroupsY, uint GroupsZ);

    // GroupNorm partial-statistics chunks per group (nn_groupnorm PASS 1), at the prepared size.
    private int Chunks(Node n)
    {
        long perGroup = (long)n.Inputs[0].Channels / n.Groups * (width >> n.Output.Level) * (height >> n.Output.Level);
        return (int)((perGroup + NormChunk - 1) / NormChunk);
    }

    private IEnumerable<Dispatch> Build(Node n)
    {
        int w = width >> n.Output.Level, h = height >> n.Output.Level;
        var x = n.Inputs[0];
        int xw = width >> x.Level, xh = height >> x.Level;
        var (in0, c0, in1, c1) = Segments(x);
        static uint Groups(long count, int size) => checked((uint)((count + size - 1) / size));
        switch (n.Kind)
        {
            case NodeKind.Conv:
            {
                var k = kernels.Get(GlKernels.Conv, ("KERNEL", n.Kernel.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("CIRCULAR", n.Kernel == 3 && n.Circular ? "1" : "0"));
                return [Make(k, [("in0", in0), ("cin0", c0), ("in1", in1), ("cin1", c1), ("outOff", Offset(n.Output)), ("cout", n.Output.Channels),
                        ("wOff", n.WeightOffset / 4), ("bOff", n.BiasOffset), ("residual", n.Residual is null ? -1 : Offset(n.Residual))],
                    w, h, null, Groups((long)((w + 3) / 4) * h, 64), 1, (uint)((n.Output.Channels + ConvBlock - 1) / ConvBlock))];
            }
            case NodeKind.Norm:
            {
                int chunks = Chunks(n);
                (string, int)[] common = [("plane", w * h), ("in0", in0), ("cin0", c0), ("in1", in1), ("cin1", c1), ("groups", n.Groups),
                    ("chunkSize", NormChunk), ("chunks", chunks)];
                var partials = kernels.Get(GlKernels.Norm, ("PASS", "1"), ("MODULATE", "0"), ("SILU", "0"));
                var apply = kernels.Get(GlKernels.Norm, ("PASS", "2"), ("MODULATE", n.Modulate ? "1" : "0"), ("SILU", n.Silu ? "1" : "0"));
                var second = Make(apply, [.. common, ("outOff", Offset(n.Output)), ("gammaOff", n.WeightOffset), ("betaOff", n.BiasOffset)],
                    -1, -1, n.Embedding, Groups((long)w * h, 256), (uint)x.Channels, 1);
                var finalize = kernels.Get(GlKernels.Norm, ("PASS", "3"), ("MODULATE", "0"), ("SILU", "0"));
                var third = Make(finalize, common, -1, -1, null, 1, 1, 1);
                return [Make(partials, common, -1, -1, null, (uint)chunks, (uint)n.Groups, 1),
                    third with { EpsilonLocation = finalize.Location("epsilon"), Epsilon = (float)n.Epsilon },
                    second];
            }
            case NodeKind.AttentionCore:
            {
                var k = kernels.Get(GlKernels.Attention, ("HEAD_DIM", n.HeadDim.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return [Make(k, [("n", w * h), ("heads", n.Heads), ("qkvOff", in0), ("outOff", Offset(n.Output))], -1, -1, null,
                    Groups((long)w * h, 64), (uint)n.Heads, 1)];
            }
            default:
            {
                var k = kernels.Get(GlKernels.Elementwise, ("OP", ((int)n.Op).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                long count = n.Op == ElementOp.AvgPool ? (long)n.Output.Channels * w * h : (long)x.Channels * xw * xh;
                int inB = n.Inputs.Length > 1 ? Offset(n.Inputs[1]) : 0;
                return [Make(k, [("channels", x.Channels), ("inA", in0), ("inB", inB), ("outOff", Offset(n.Output))], xw, xh, n.Embedding,
                    Groups(count, 256), 1, 1)];
            }
        }
    }

    private Dispatch Make(GlKernel k, (string Name, int Value)[] uniforms, int sizeX, int sizeY, string? embeddingValue, uint gx, uint gy, uint gz) =>
        new(k.Program, uniforms.Select(u => k.Location(u.Name)).ToArray(), uniforms.Select(u => u.Value).ToArray(),
            sizeX < 0 ? -1 : k.Location("size"), sizeX, sizeY, -1, 0f,
            embeddingValue is null ? -1 : k.Location("embOff"), embeddingValue is null ? 0 : Embedding.Offset(embeddingValue), gx, gy, gz);

    private static int Offset(Value v) => v.Offset is >= 0 and <= int.MaxValue
        ? (int)v.Offset
        : throw new InvalidOperationException($"GL backend: value '{v.Name}' has no arena offset (planner bug) or lies beyond 2³¹ floats.");

    private static (int, int, int, int) Segments(Value v) => v.Parts is { } p
        ? (Offset(p[0]), p[0].Channels, Offset(p[1]), p[1].Channels)
        : (Offset(v), v.Channels, 0, 0);

    // Packs weight [cout, cin, k, k] as two vec4 per 8 output channels: vec4 index ((cob·cin + ci)·k² + tap)·2 + j holds
    // output channels 8·cob + 4·j + 0..3 (nn_conv.comp.glsl). Returns the float offset.
    private static int PackConv(List<float> packed, float[] w, int cout, int cin, int k)
    {
        int taps = k * k;
        if (w.Length != cout * cin * taps) throw new ArgumentException($"convolution weight has {w.Length} values, expected {cout}×{cin}×{k}×{k}.");
        Align(packed);
        int start = packed.Count;
        int blocks = (cout + ConvBlock - 1) / ConvBlock;
        for (int cob = 0; cob < blocks; cob++)
            for (int ci = 0; ci < cin; ci++)
                for (int t = 0; t < taps; t++)
                    for (int j = 0; j < ConvBlock; j++)
                    {
                        int co = cob * ConvBlock + j;
                        packed.Add(co < cout ? w[(co * cin + ci) * taps + t] : 0f);
                    }
        return start;
    }

    private static int PackFloats(List<float> packed, float[] values)
    {
        Align(packed);
        int start = packed.Count;
        packed.AddRange(values);
        return start;
    }

    private static void Align(List<float> packed)
    {
        while (packed.Count % 4 != 0) packed.Add(0f);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (weights != 0) gl.DeleteBuffer(weights);
        if (scratch != 0) gl.DeleteBuffer(scratch);
        weights = scratch = 0;
    }
}
