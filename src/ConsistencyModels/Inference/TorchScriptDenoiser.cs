using System.Globalization;
using System.Text;
using System.Runtime.InteropServices;
using ConsistencyModels.Networks;
using ConsistencyModels.Networks.Description;
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
/// network's layer description (<see cref="NetworkDescription"/>, built from its <see cref="UNetConfig"/>); the denoiser holds its own references to the weights' storage (in-place
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
        var steps = new List<BackendStep>();
        Source = Generate(config, name =>
        {
            if (!named.TryGetValue(name, out var t))
                throw new InvalidOperationException($"the network has no tensor '{name}' (script generator out of date)");
            order.Add(t);
            return $"p[{order.Count - 1}]";
        }, steps);
        Steps = steps;
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

    /// <summary>One step per statement the source computes an op with: the op's index in the network's
    /// <see cref="NetworkDescription"/>, its kind and the weights the statement passes (dropout, the identity at
    /// inference, has none). Tests check them against the description (<see cref="NetworkDescription.Disagreements"/>).</summary>
    public IReadOnlyList<BackendStep> Steps { get; }

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

    // The generated code walks the network's layer description (Networks/Description) op by op: one line per op, the
    // same list the UNet module interprets and the ONNX exporter and GL plan walk (UNetDerivationTests: op by op).
    private static string Generate(UNetConfig cfg, Func<string, string> weight, List<BackendStep> steps)
    {
        List<string>? read = null;  // the weights the current op's statement passes
        string p(string name)
        {
            if (read is not null && !read.Contains(name)) read.Add(name);
            return weight(name);
        }
        var inv = CultureInfo.InvariantCulture;
        var description = NetworkDescription.FromConfig(cfg);
        var code = new StringBuilder();
        code.AppendLine("def conv3c(x: Tensor, w: Tensor, b: Tensor) -> Tensor:");
        code.AppendLine("    return torch.conv2d(torch._pad_circular(x, [1, 1, 1, 1]), w, b)");
        code.AppendLine();
        code.AppendLine("def conv3z(x: Tensor, w: Tensor, b: Tensor) -> Tensor:");
        code.AppendLine("    return torch.conv2d(x, w, b, [1, 1], [1, 1])");
        code.AppendLine();
        // LayerOpKind.Modulate: h·(1 + scale) + shift with (scale, shift) the halves of p.
        code.AppendLine("def modulate(h: Tensor, p: Tensor) -> Tensor:");
        code.AppendLine("    ss = p.unsqueeze(-1).unsqueeze(-1).chunk(2, 1)");
        code.AppendLine("    return torch.addcmul(ss[1], h, ss[0] + 1)");
        code.AppendLine();
        // LayerOpKind.Attention: x + proj(attention(qkv(norm(x)))), heads of d channels over the H·W pixels.
        code.AppendLine("def attention(x: Tensor, heads: int, g: int, nw: Tensor, nb: Tensor, qw: Tensor, qb: Tensor, pw: Tensor, pb: Tensor) -> Tensor:");
        code.AppendLine("    b, c, h, w = x.shape[0], x.shape[1], x.shape[2], x.shape[3]");
        code.AppendLine("    t = torch.conv2d(torch.group_norm(x, g, nw, nb, 1e-5), qw, qb).reshape([b, 3, heads, c // heads, h * w]).permute([1, 0, 2, 4, 3])");
        code.AppendLine("    a = torch.scaled_dot_product_attention(t[0], t[1], t[2])");
        code.AppendLine("    return x + torch.conv2d(a.permute([0, 1, 3, 2]).reshape([b, c, h, w]), pw, pb)");
        code.AppendLine();
        string labelsArg = cfg.ClassCount > 0 ? ", labels: Tensor" : "";
        code.AppendLine($"def {FunctionName}(out: Tensor, x: Tensor, c_in: Tensor, c_skip: Tensor, c_out: Tensor, c_noise: Tensor, p: List[Tensor]{labelsArg}) -> None:");
        code.AppendLine($"    dt = {p("conv_in.weight")}.dtype");
        code.AppendLine("    h_in = (x * c_in).to(dt)");
        var names = new Dictionary<string, string>
        {
            [NetworkDescription.InputX] = "h_in",
            [NetworkDescription.InputNoise] = "c_noise",
            [NetworkDescription.InputLabels] = "labels",
        };
        string G(double eps) => eps.ToString("R", inv);
        for (int index = 0; index < description.Ops.Count; index++)
        {
            var op = description.Ops[index];
            string In(int i) => names[op.Inputs[i]];
            if (NetworkDescription.IsInferenceIdentity(op))
            {
                names[op.Output] = In(0); // dropout: its readers read its input
                continue;
            }
            read = [];
            string W(int i) => p(op.Parameters[i].Name);
            string expression = op.Kind switch
            {
                // The frequencies stay float32 (NoiseEmbedding); the embedding is cast to the weights' type after.
                LayerOpKind.NoiseEmbedding => $"torch.cat([torch.cos(a_{op.Output}), torch.sin(a_{op.Output})], 1).to(dt)",
                LayerOpKind.Linear => $"torch.linear({In(0)}, {W(0)}, {W(1)})",
                LayerOpKind.Embedding => $"torch.embedding({W(0)}, {In(0)})",
                LayerOpKind.Silu => $"torch.silu({In(0)})",
                LayerOpKind.Add => $"{In(0)} + {In(1)}",
                LayerOpKind.Conv2d when op.Kernel == 3 => $"{(op.Circular ? "conv3c" : "conv3z")}({In(0)}, {W(0)}, {W(1)})",
                LayerOpKind.Conv2d => $"torch.conv2d({In(0)}, {W(0)}, {W(1)})",
                LayerOpKind.GroupNorm => $"torch.group_norm({In(0)}, {op.Groups}, {W(0)}, {W(1)}, {G(op.Epsilon)})",
                LayerOpKind.Modulate => $"modulate({In(0)}, {In(1)})",
                LayerOpKind.AvgPool2 => $"torch.avg_pool2d({In(0)}, [2, 2])",
                LayerOpKind.UpsampleNearest2 => $"torch.upsample_nearest2d({In(0)}, [{In(0)}.shape[2] * 2, {In(0)}.shape[3] * 2])",
                LayerOpKind.Concat => $"torch.cat([{string.Join(", ", op.Inputs.Select(i => names[i]))}], 1)",
                LayerOpKind.PixelUnshuffle2 => $"torch.pixel_unshuffle({In(0)}, 2)",
                LayerOpKind.PixelShuffle2 => $"torch.pixel_shuffle({In(0)}, 2)",
                LayerOpKind.Attention => $"attention({In(0)}, {op.Heads}, {op.Groups}, {W(0)}, {W(1)}, {W(2)}, {W(3)}, {W(4)}, {W(5)})",
                _ => throw new NotSupportedException($"TorchScript generation has no mapping for {op.Kind}"),
            };
            if (op.Kind == LayerOpKind.NoiseEmbedding)
                code.AppendLine($"    a_{op.Output} = torch.outer(c_noise.to({W(0)}.dtype) * {op.Scale.ToString("R", inv)}, {W(0)})");
            code.AppendLine($"    {op.Output} = {expression}");
            names[op.Output] = op.Output;
            steps.Add(new BackendStep(index, op.Kind, read));
            read = null;
        }
        code.AppendLine($"    torch.add(c_skip * x, c_out * {names[description.Output]}.to(x.dtype), out=out)");
        return code.ToString();
    }
}
