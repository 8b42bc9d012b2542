using System.Globalization;
using System.Text;
using ConsistencyModels.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Preconditioning;

/// <summary>
/// A <see cref="PreconditionedNetwork"/> compiled into one TorchScript function, c_skip·x + c_out·F(c_in·x; c_noise),
/// so a whole evaluation is one call into libtorch: the ops run in libtorch's interpreter without a managed
/// <see cref="Tensor"/> per op (≈ 44 KB of garbage per evaluation of the Small network become one call's worth) and
/// without TorchSharp's per-op overhead. The source is generated from the network's <see cref="UNetConfig"/> and reads
/// the module's own weight tensors, so build it after any change of device or precision (<see cref="Supports"/>: every
/// configuration without attention). Results equal <see cref="PreconditionedNetwork.forward"/> to float rounding.
/// </summary>
public sealed class TorchScriptDenoiser : IDisposable
{
    private const string FunctionName = "denoise";
    private readonly jit.CompilationUnit unit;
    private readonly Tensor[] weights;
    private readonly Tensor[] ownedCopies;
    private readonly bool conditional;
    private readonly object[] arguments;
    private bool disposed;

    /// <summary>
    /// Compiles <paramref name="model"/>. Without <paramref name="weightType"/> (or with the weights' own type) the
    /// module's weight tensors are referenced, not copied; with another type (bfloat16 for inference) this denoiser
    /// computes with its own converted copies and the module is left as it is. The noise-embedding frequencies stay
    /// float32 either way (see <see cref="NetworkPrecision"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">The network has attention layers (<see cref="Supports"/>).</exception>
    public TorchScriptDenoiser(PreconditionedNetwork model, ScalarType? weightType = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = model.Net.Config;
        if (!Supports(config))
            throw new NotSupportedException("the TorchScript forward covers networks without attention layers; use the module's forward.");
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
        weights = order.ToArray();
        var copies = new List<Tensor>();
        if (weightType is { } type)
            for (int i = 0; i < weights.Length; i++)
            {
                bool isFrequency = ReferenceEquals(weights[i], named["map_noise.freqs"]);
                if (weights[i].dtype == type || isFrequency || !weights[i].is_floating_point()) continue;
                using (no_grad()) weights[i] = weights[i].detach().to(type);
                copies.Add(weights[i]);
            }
        ownedCopies = copies.ToArray();
        WeightType = weights[0].dtype;
        conditional = config.ClassCount > 0;
        arguments = new object[conditional ? 7 : 6];
        unit = jit.compile(Source);
    }

    /// <summary>Whether <paramref name="config"/> can be compiled (no attention layers).</summary>
    public static bool Supports(UNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.AttentionLevels.Length == 0;
    }

    /// <summary>The type the network computes in (its first weight's type).</summary>
    public ScalarType WeightType { get; }

    /// <summary>The generated TorchScript source.</summary>
    public string Source { get; }

    /// <summary>
    /// c_skip·x + c_out·F(c_in·x; c_noise, labels) with the coefficients of one noise level
    /// (<see cref="PreconditionedNetwork.CoefficientsAt"/>) for x [B, 3, H, W]; <paramref name="labels"/> int64 [B] for a
    /// class-conditional network, else null. Inputs are not checked: validate sizes and labels beforehand.
    /// </summary>
    public Tensor Forward(Tensor x, PreconditioningCoefficients c, Tensor? labels)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(c);
        if (conditional != labels is not null)
            throw new ArgumentException(conditional ? "labels are required by this class-conditional network" : "this network takes no labels", nameof(labels));
        arguments[0] = x;
        arguments[1] = c.CIn;
        arguments[2] = c.CSkip;
        arguments[3] = c.COut;
        arguments[4] = c.CNoise;
        arguments[5] = weights;
        if (conditional) arguments[6] = labels!;
        var result = (Tensor)unit.invoke(FunctionName, arguments);
        Array.Clear(arguments);
        return result;
    }

    /// <summary>Frees the compiled code (the weights belong to the module).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        unit.Dispose();
        foreach (var copy in ownedCopies) copy.Dispose();
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
        string labelsArg = cfg.ClassCount > 0 ? ", labels: Tensor" : "";
        code.AppendLine($"def {FunctionName}(x: Tensor, c_in: Tensor, c_skip: Tensor, c_out: Tensor, c_noise: Tensor, p: List[Tensor]{labelsArg}) -> Tensor:");
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
            return $"block({input}, {emb}, {g0}, {p($"{module}.norm0.weight")}, {p($"{module}.norm0.bias")}, {p($"{module}.conv0.weight")}, {p($"{module}.conv0.bias")}, "
                + $"{p($"{module}.affine.weight")}, {p($"{module}.affine.bias")}, {g1}, {p($"{module}.norm1.weight")}, {p($"{module}.norm1.bias")}, "
                + $"{p($"{module}.conv1.weight")}, {p($"{module}.conv1.bias")}, {skip})";
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
        code.AppendLine("    return c_skip * x + c_out * h.to(x.dtype)");
        return code.ToString();
    }
}
