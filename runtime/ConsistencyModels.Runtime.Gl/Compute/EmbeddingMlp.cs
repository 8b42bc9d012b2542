using ConsistencyModels.Networks.Description;

namespace ConsistencyModels.Runtime.Compute;

/// <summary>
/// The part of a <see cref="NetworkDescription"/> that depends only on c_noise and the class label (the noise embedding,
/// its MLP, the class embedding and every Linear of the embedding, such as the ResBlocks' affine maps): a few hundred
/// values per (σ, class), computed on the CPU in float32 like libtorch (NoiseEmbedding, SiLU and Add in float; the
/// Linear dot products accumulated in double, then rounded) and handed to the GPU as one slot of floats. The slot holds
/// the embedding values that image ops read (the Modulate inputs), at <see cref="Offset"/>.
/// </summary>
internal sealed class EmbeddingMlp
{
    private readonly List<LayerOp> ops = [];
    private readonly HashSet<string> embeddingValues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> parameters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> offsets = new(StringComparer.Ordinal);

    public EmbeddingMlp(NetworkDescription description, Func<string, float[]> read)
    {
        embeddingValues.Add(NetworkDescription.InputNoise);
        embeddingValues.Add(NetworkDescription.InputLabels);
        foreach (var op in description.Ops)
        {
            if (op.Kind == LayerOpKind.Modulate || !op.Inputs.All(embeddingValues.Contains)) continue;
            ops.Add(op);
            embeddingValues.Add(op.Output);
            foreach (var p in op.Parameters) parameters[p.Name] = read(p.Name);
            values[op.Output] = new float[op.Channels];
        }
        int size = 0;
        foreach (var op in description.Ops)
            if (!IsEmbeddingOp(op))
                foreach (var name in op.Inputs)
                    if (embeddingValues.Contains(name) && !offsets.ContainsKey(name))
                    {
                        if (name is NetworkDescription.InputNoise or NetworkDescription.InputLabels)
                            throw new NotSupportedException($"GL backend: an image op reads '{name}' directly ({op}).");
                        offsets[name] = size;
                        size += (values[name].Length + 3) & ~3;
                    }
        SlotSize = Math.Max(4, size);
    }

    /// <summary>The ops computed here as backend steps (op index, kind, the weights read).</summary>
    public IEnumerable<BackendStep> Steps(IReadOnlyDictionary<LayerOp, int> index) =>
        ops.Select(o => new BackendStep(index[o], o.Kind, o.Parameters.Select(p => p.Name).ToArray()));

    /// <summary>Floats per slot (a multiple of 4).</summary>
    public int SlotSize { get; }

    /// <summary>Whether <paramref name="op"/> runs here (all its inputs derive from c_noise and the label).</summary>
    public bool IsEmbeddingOp(LayerOp op) => op.Kind != LayerOpKind.Modulate && embeddingValues.Contains(op.Output) && ops.Contains(op);

    /// <summary>Where embedding value <paramref name="name"/> lies in a slot, or −1 when image ops do not read it.</summary>
    public int Offset(string name) => offsets.TryGetValue(name, out int o) ? o : -1;

    /// <summary>Computes the slot for noise condition <paramref name="cNoise"/> (c_noise = ¼·ln σ, already rounded to
    /// float32 as the libtorch path does) and <paramref name="label"/> into <paramref name="slot"/>.</summary>
    public void Compute(float cNoise, int label, Span<float> slot)
    {
        foreach (var op in ops)
        {
            var y = values[op.Output];
            switch (op.Kind)
            {
                case LayerOpKind.NoiseEmbedding:
                {
                    var freqs = parameters[op.Parameters[0].Name];
                    float x = cNoise * (float)op.Scale;
                    int half = freqs.Length;
                    for (int i = 0; i < half; i++)
                    {
                        float a = x * freqs[i];
                        y[i] = MathF.Cos(a);
                        y[half + i] = MathF.Sin(a);
                    }
                    break;
                }
                case LayerOpKind.Linear:
                {
                    var x = values[op.Inputs[0]];
                    var w = parameters[op.Parameters[0].Name];
                    var b = parameters[op.Parameters[1].Name];
                    int cin = x.Length;
                    for (int o = 0; o < y.Length; o++)
                    {
                        double s = 0;
                        for (int i = 0; i < cin; i++) s += (double)w[o * cin + i] * x[i];
                        y[o] = (float)s + b[o];
                    }
                    break;
                }
                case LayerOpKind.Embedding:
                {
                    var w = parameters[op.Parameters[0].Name];
                    int rows = w.Length / y.Length;
                    if (label < 0 || label >= rows) throw new ArgumentOutOfRangeException(nameof(label), label, $"class label must be in [0, {rows - 1}].");
                    Array.Copy(w, label * y.Length, y, 0, y.Length);
                    break;
                }
                case LayerOpKind.Silu:
                {
                    var x = values[op.Inputs[0]];
                    for (int i = 0; i < y.Length; i++) y[i] = x[i] / (1f + MathF.Exp(-x[i]));
                    break;
                }
                case LayerOpKind.Add:
                {
                    var a = values[op.Inputs[0]];
                    var b = values[op.Inputs[1]];
                    for (int i = 0; i < y.Length; i++) y[i] = a[i] + b[i];
                    break;
                }
                default:
                    throw new NotSupportedException($"GL backend: embedding op {op.Kind} is not supported ({op}).");
            }
        }
        slot.Clear();
        foreach (var (name, offset) in offsets) values[name].CopyTo(slot[offset..]);
    }
}
