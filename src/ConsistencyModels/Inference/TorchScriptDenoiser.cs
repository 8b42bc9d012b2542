using System.Globalization;
using System.Text;
using System.Runtime.InteropServices;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using ConsistencyModels.Preconditioning;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Inference;

/// <summary>
/// A <see cref="PreconditionedNetwork"/> compiled into one TorchScript function, c_skip·x + c_out·F(c_in·x; c_noise),
/// so a whole evaluation is one call into libtorch: the ops run in libtorch's interpreter without a managed
/// <see cref="Tensor"/> per op (≈ 44 KB of garbage per evaluation of the Small network) and without TorchSharp's per-op
/// overhead. <see cref="ForwardInto"/> writes into a caller-owned tensor through a direct native call
/// (<see cref="Platform.TorchScriptNative"/>) and allocates no managed memory at all. The source is generated from the
/// network's <see cref="UNetConfig"/>; the denoiser holds its own references to the weights' storage (in-place
/// updates of the module's weights are seen, replaced parameters are not: build it after any change of device or
/// precision). Every <see cref="UNetConfig"/> compiles (attention included). Results equal
/// <see cref="PreconditionedNetwork.forward"/> to float rounding. Use from one thread at a time.
/// </summary>
public sealed unsafe class TorchScriptDenoiser : IDisposable
{
    private const string FunctionName = "denoise";
    private static readonly byte[] FunctionNameUtf8 = TorchScriptNative.NullTerminated(FunctionName);

    // Argument cells of "denoise": out, x, c_in, c_skip, c_out, c_noise, p (a list of the weights), [labels].
    private const int OutSlot = 0, XSlot = 1, CInSlot = 2, CSkipSlot = 3, COutSlot = 4, CNoiseSlot = 5, WeightsSlot = 6, LabelsSlot = 7;

    private readonly Tensor[] weights;   // owned: detached views of the module's weights, or converted copies
    private readonly bool conditional;
    private readonly int argumentCount;
    private readonly TorchScriptNative.CompilationUnitHandle? unit;
    private readonly TorchScriptNative.CellsHandle? cellMemory; // the argument cells followed by the weight list's cells
    private readonly TorchScriptNative.Cell* cells;
    private bool disposed;

    /// <summary>
    /// Compiles <paramref name="model"/>. Without <paramref name="weightType"/> (or with the weights' own type) the
    /// denoiser shares the module's weight storage; with another type (bfloat16 for inference) it computes with its
    /// own converted copies and the module is left as it is. The noise-embedding frequencies stay float32 either way
    /// (see <see cref="NetworkPrecision"/>).
    /// </summary>
    public TorchScriptDenoiser(PreconditionedNetwork model, ScalarType? weightType = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = model.Net.Config;
        var named = model.Net.named_parameters().Select(p => (p.name, tensor: (Tensor)p.parameter))
            .Concat(model.Net.named_buffers().Select(b => (b.name, tensor: b.buffer)))
            .ToDictionary(p => p.name, p => p.tensor);
        var order = new List<Tensor>();
        Source = Generate(config, model.Net, named, name =>
        {
            if (!named.TryGetValue(name, out var t))
                throw new InvalidOperationException($"the network has no tensor '{name}' (script generator out of date)");
            order.Add(t);
            return $"p[{order.Count - 1}]";
        });
        var frequencies = named["map_noise.freqs"];
        weights = new Tensor[order.Count];
        using (no_grad())
            for (int i = 0; i < weights.Length; i++)
            {
                var w = order[i];
                bool convert = weightType is { } type && w.dtype != type && w.is_floating_point() && !ReferenceEquals(w, frequencies);
                if (!convert) { weights[i] = w.detach(); continue; }
                using var detached = w.detach();
                weights[i] = detached.to(weightType!.Value);
            }
        WeightType = weights[0].dtype;
        conditional = config.ClassCount > 0;
        argumentCount = conditional ? LabelsSlot + 1 : WeightsSlot + 1;
        try
        {
            unit = TorchScriptNative.CompileUnit(Source);
            cellMemory = new TorchScriptNative.CellsHandle(argumentCount + weights.Length);
            cells = cellMemory.Cells;
            var list = cells + argumentCount;
            for (int i = 0; i < weights.Length; i++)
                list[i] = new TorchScriptNative.Cell { TypeCode = TorchScriptNative.TensorCode, Handle = weights[i].Handle };
            cells[WeightsSlot] = new TorchScriptNative.Cell { TypeCode = TorchScriptNative.TensorListCode, ArrayIndex = weights.Length, Handle = (IntPtr)list };
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The type the network computes in (its first weight's type).</summary>
    public ScalarType WeightType { get; }

    /// <summary>The generated TorchScript source.</summary>
    public string Source { get; }

    /// <summary>
    /// c_skip·x + c_out·F(c_in·x; c_noise, labels) as a new tensor; see <see cref="ForwardInto"/>.
    /// </summary>
    public Tensor Forward(Tensor x, PreconditioningCoefficients c, Tensor? labels)
    {
        ArgumentNullException.ThrowIfNull(x);
        var output = empty_like(x);
        try
        {
            ForwardInto(output, x, c, labels);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes c_skip·x + c_out·F(c_in·x; c_noise, labels) into <paramref name="output"/> (same shape and type as
    /// <paramref name="x"/>; it may be <paramref name="x"/> itself: x is read before the output is written) with the coefficients of one noise level
    /// (<see cref="PreconditionedNetwork.CoefficientsAt"/>) for x [B, 3, H, W]; <paramref name="labels"/> int64 [B] for a
    /// class-conditional network, else null. One native call; no managed allocation. Inputs must not require grad.
    /// The network's own checks (sizes, label range) are libtorch's: validate beforehand for clear messages.
    /// </summary>
    /// <exception cref="ArgumentException">Labels missing or unexpected, or <paramref name="output"/> does not match
    /// <paramref name="x"/>.</exception>
    /// <exception cref="ExternalException">libtorch failed (its message).</exception>
    public void ForwardInto(Tensor output, Tensor x, PreconditioningCoefficients c, Tensor? labels)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(c);
        if (conditional != labels is not null)
            throw new ArgumentException(conditional ? "labels are required by this class-conditional network" : "this network takes no labels", nameof(labels));
        if (!SameLayout(output, x))
            throw new ArgumentException("output must have x's shape, type and device", nameof(output));
        Set(OutSlot, output);
        Set(XSlot, x);
        Set(CInSlot, c.CIn);
        Set(CSkipSlot, c.CSkip);
        Set(COutSlot, c.COut);
        Set(CNoiseSlot, c.CNoise);
        if (conditional) Set(LabelsSlot, labels!);
        fixed (byte* name = FunctionNameUtf8)
            TorchScriptNative.Call(unit!, name, cells, argumentCount);
        // The handles above were borrowed from these objects: keep them from being finalized during the call.
        GC.KeepAlive(output);
        GC.KeepAlive(x);
        GC.KeepAlive(c);
        GC.KeepAlive(labels);
        GC.KeepAlive(cellMemory);
    }

    private void Set(int slot, Tensor t) => cells[slot] = new TorchScriptNative.Cell { TypeCode = TorchScriptNative.TensorCode, Handle = t.Handle };

    // Compared through single native queries (Tensor.shape would allocate an array).
    private static bool SameLayout(Tensor a, Tensor b)
    {
        long dims = a.dim();
        if (dims != b.dim() || a.dtype != b.dtype || a.device_type != b.device_type || a.device_index != b.device_index) return false;
        for (int d = 0; d < dims; d++)
            if (a.size(d) != b.size(d)) return false;
        return true;
    }

    /// <summary>Frees the compiled code, the argument cells and the denoiser's weight references (the native handles
    /// are <see cref="SafeHandle"/>s: if this is never called, critical finalization frees them).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        unit?.Dispose();
        cellMemory?.Dispose();
        foreach (var w in weights) w?.Dispose();
    }

    // The generated code mirrors UNet.forward and ResBlock.forward line by line.
    private static string Generate(UNetConfig cfg, UNet net, IReadOnlyDictionary<string, Tensor> named, Func<string, string> p)
    {
        var inv = CultureInfo.InvariantCulture;
        var code = new StringBuilder();
        bool circular = cfg.CircularPadding;
        code.AppendLine("def conv3(x: Tensor, w: Tensor, b: Tensor) -> Tensor:");
        code.AppendLine(circular
            ? "    return torch.conv2d(torch._pad_circular(x, [1, 1, 1, 1]), w, b)"
            : "    return torch.conv2d(x, w, b, [1, 1], [1, 1])");
        code.AppendLine();
        code.AppendLine("def block(x: Tensor, emb: Tensor, g0: int, n0w: Tensor, n0b: Tensor, c0w: Tensor, c0b: Tensor, aw: Tensor, ab: Tensor,");
        code.AppendLine("          g1: int, n1w: Tensor, n1b: Tensor, c1w: Tensor, c1b: Tensor, skip: Tensor) -> Tensor:");
        code.AppendLine("    h = conv3(torch.silu(torch.group_norm(x, g0, n0w, n0b, 1e-5)), c0w, c0b)");
        code.AppendLine("    ss = torch.linear(emb, aw, ab).unsqueeze(-1).unsqueeze(-1).chunk(2, 1)");
        code.AppendLine("    h = torch.silu(torch.addcmul(ss[1], torch.group_norm(h, g1, n1w, n1b, 1e-5), ss[0] + 1))");
        code.AppendLine("    return conv3(h, c1w, c1b) + skip");
        code.AppendLine();
        // AttentionBlock.forward: x + proj(attention(qkv(norm(x)))), heads of d channels over the H·W pixels.
        code.AppendLine("def attention(x: Tensor, heads: int, g: int, nw: Tensor, nb: Tensor, qw: Tensor, qb: Tensor, pw: Tensor, pb: Tensor) -> Tensor:");
        code.AppendLine("    b, c, h, w = x.shape[0], x.shape[1], x.shape[2], x.shape[3]");
        code.AppendLine("    t = torch.conv2d(torch.group_norm(x, g, nw, nb, 1e-5), qw, qb).reshape([b, 3, heads, c // heads, h * w]).permute([1, 0, 2, 4, 3])");
        code.AppendLine("    a = torch.scaled_dot_product_attention(t[0], t[1], t[2])");
        code.AppendLine("    return x + torch.conv2d(a.permute([0, 1, 3, 2]).reshape([b, c, h, w]), pw, pb)");
        code.AppendLine();
        string labelsArg = cfg.ClassCount > 0 ? ", labels: Tensor" : "";
        code.AppendLine($"def {FunctionName}(out: Tensor, x: Tensor, c_in: Tensor, c_skip: Tensor, c_out: Tensor, c_noise: Tensor, p: List[Tensor]{labelsArg}) -> None:");
        code.AppendLine($"    dt = {p("conv_in.weight")}.dtype");
        code.AppendLine("    h = (x * c_in).to(dt)");
        var embedding = net.named_modules().Single(m => m.name == "map_noise").module as NoiseEmbedding
            ?? throw new InvalidOperationException("map_noise is not a NoiseEmbedding");
        string freqs = p("map_noise.freqs");
        code.AppendLine($"    a = torch.outer(c_noise.to({freqs}.dtype) * {embedding.InputScale.ToString("R", inv)}, {freqs})");
        code.AppendLine("    emb = torch.cat([torch.cos(a), torch.sin(a)], 1).to(dt)");
        code.AppendLine($"    emb = torch.linear(torch.silu(torch.linear(emb, {p("map_layer0.weight")}, {p("map_layer0.bias")})), {p("map_layer1.weight")}, {p("map_layer1.bias")})");
        if (cfg.ClassCount > 0)
            code.AppendLine($"    emb = emb + torch.embedding({p("map_label.weight")}, labels)");
        code.AppendLine("    emb = torch.silu(emb)");
        if (cfg.PixelUnshuffleStem)
            code.AppendLine("    h = torch.pixel_unshuffle(h, 2)");
        code.AppendLine($"    h = conv3(h, {p("conv_in.weight")}, {p("conv_in.bias")})");

        var blocks = net.named_modules().Where(m => m.module is ResBlock).ToDictionary(m => m.name, m => (ResBlock)m.module);
        var attentions = net.named_modules().Where(m => m.module is AttentionBlock).ToDictionary(m => m.name, m => (AttentionBlock)m.module);
        int skipCount = 0;
        var skips = new Stack<string>();
        string Push(string value)
        {
            string name = $"s{skipCount++}";
            code.AppendLine($"    {name} = {value}");
            skips.Push(name);
            return name;
        }
        string Block(string module, string input, string emb)
        {
            var b = blocks[module];
            long cin = named[$"{module}.conv0.weight"].shape[1];
            int g0 = Normalization.GroupCount((int)cin), g1 = Normalization.GroupCount((int)b.OutChannels);
            bool hasSkip = named.ContainsKey($"{module}.skip.weight");
            string skip = hasSkip ? $"torch.conv2d({input}, {p($"{module}.skip.weight")}, {p($"{module}.skip.bias")})" : input;
            string call = $"block({input}, {emb}, {g0}, {p($"{module}.norm0.weight")}, {p($"{module}.norm0.bias")}, {p($"{module}.conv0.weight")}, {p($"{module}.conv0.bias")}, "
                + $"{p($"{module}.affine.weight")}, {p($"{module}.affine.bias")}, {g1}, {p($"{module}.norm1.weight")}, {p($"{module}.norm1.bias")}, "
                + $"{p($"{module}.conv1.weight")}, {p($"{module}.conv1.bias")}, {skip})";
            if (!attentions.TryGetValue($"{module}.attn", out var attn)) return call;
            string a = $"{module}.attn";
            return $"attention({call}, {attn.Heads}, {g1}, {p($"{a}.norm.weight")}, {p($"{a}.norm.bias")}, {p($"{a}.qkv.weight")}, {p($"{a}.qkv.bias")}, "
                + $"{p($"{a}.proj.weight")}, {p($"{a}.proj.bias")})";
        }

        Push("h");
        int levels = cfg.ChannelMultipliers.Length, r = cfg.ResBlocksPerLevel, bi = 0;
        for (int level = 0; level < levels; level++)
        {
            if (level > 0)
            {
                code.AppendLine("    h = torch.avg_pool2d(h, [2, 2])");
                Push("h");
            }
            for (int i = 0; i < r; i++)
            {
                code.AppendLine($"    h = {Block($"enc.{bi++}", "h", "emb")}");
                Push("h");
            }
        }
        code.AppendLine($"    h = {Block("mid.0", "h", "emb")}");
        code.AppendLine($"    h = {Block("mid.1", "h", "emb")}");
        bi = 0;
        for (int level = levels - 1; level >= 0; level--)
        {
            if (level < levels - 1)
                code.AppendLine("    h = torch.upsample_nearest2d(h, [h.shape[2] * 2, h.shape[3] * 2])");
            for (int i = 0; i <= r; i++)
            {
                code.AppendLine($"    h = torch.cat([h, {skips.Pop()}], 1)");
                code.AppendLine($"    h = {Block($"dec.{bi++}", "h", "emb")}");
            }
        }
        int outGroups = Normalization.GroupCount((int)named["out_norm.weight"].shape[0]);
        code.AppendLine($"    h = conv3(torch.silu(torch.group_norm(h, {outGroups}, {p("out_norm.weight")}, {p("out_norm.bias")}, 1e-5)), {p("out_conv.weight")}, {p("out_conv.bias")})");
        if (cfg.PixelUnshuffleStem)
            code.AppendLine("    h = torch.pixel_shuffle(h, 2)");
        code.AppendLine("    torch.add(c_skip * x, c_out * h.to(x.dtype), out=out)");
        return code.ToString();
    }
}
