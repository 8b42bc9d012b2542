using System.Globalization;
using ConsistencyModels.IO;
using ConsistencyModels.Networks.Description;
using Google.Protobuf;
using static ConsistencyModels.Onnx.OnnxGraphBuilder;
using DataType = global::Onnx.TensorProto.Types.DataType;
using Proto = global::Onnx;

namespace ConsistencyModels.Onnx;

/// <summary>
/// Writes a distilled model as one ONNX graph, out(x, σ, class) = c_skip(σ)·x + c_out(σ)·F(c_in(σ)·x; ¼·ln σ, class),
/// the preconditioning folded in: the consistency function f(x, σ) for a consistency model, the denoiser D(x; σ) for a
/// few-step denoiser. Inputs "x" float [batch, 3, height, width] (any multiple of the network's downsampling), "sigma"
/// float [batch] and, for a class-conditional model, "class" int64 [batch]; output "denoised" [batch, 3, height, width].
/// The network part walks <see cref="NetworkDescription"/> op by op. Opset <see cref="Opset"/> (Pad mode "wrap" keeps
/// the circular padding, so textures still tile); every op is a standard ai.onnx op that ONNX Runtime's CPU provider
/// runs (docs/ONNX.md lists them). Metadata: "cm.metadata" (the model's metadata JSON), "cm.plan"
/// (<see cref="OnnxSamplingPlan"/>), "cm.io".
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ai.onnx opset the graph imports (19: the first with Pad mode "wrap").</summary>
    public const int Opset = 19;

    /// <summary>The IR version written (9 goes with opset 19).</summary>
    public const long IrVersion = 9;

    /// <summary>Input and output names.</summary>
    public const string InputX = "x", InputSigma = "sigma", InputClass = "class", OutputName = "denoised";

    /// <summary>Metadata keys.</summary>
    public const string MetadataKey = "cm.metadata", PlanKey = "cm.plan", IoKey = "cm.io";

    /// <summary>
    /// Builds the ONNX model for <paramref name="metadata"/> with weights from <paramref name="weights"/> (float32 values
    /// of a parameter, row-major in its shape).
    /// </summary>
    /// <exception cref="ArgumentException">The model is a teacher needing tens of steps, or a weight has the wrong size.</exception>
    public static OnnxExport Build(ModelMetadata metadata, Func<LayerParameter, float[]> weights, string producerVersion = "")
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(weights);
        metadata.Validate();
        var plan = OnnxSamplingPlan.For(metadata);
        var description = NetworkDescription.FromConfig(metadata.Config);
        var g = new OnnxGraphBuilder();
        var cfg = metadata.Config;
        bool conditional = cfg.ClassCount > 0;

        g.Graph.Input.Add(Value(InputX, DataType.Float, "batch", cfg.InChannels, "height", "width"));
        g.Graph.Input.Add(Value(InputSigma, DataType.Float, "batch"));
        if (conditional) g.Graph.Input.Add(Value(InputClass, DataType.Int64, "batch"));
        g.Graph.Output.Add(Value(OutputName, DataType.Float, "batch", cfg.OutChannels, "height", "width"));

        // Preconditioning in float32 (the runtime computes it in float64 and casts: the difference is float rounding).
        float sd2 = (float)(metadata.SigmaData * metadata.SigmaData);
        var sigma = InputSigma;
        var rootVariance = g.Node("Sqrt", [g.Node("Add", [g.Node("Mul", [sigma, sigma]), g.Scalar(sd2)])]);
        var cIn = g.Node("Reciprocal", [rootVariance]);
        var cNoise = g.Node("Mul", [g.Node("Log", [sigma]), g.Scalar(0.25f)]);
        string cSkip, cOut;
        if (plan.Output == "consistency-function")
        {
            var d = g.Node("Sub", [sigma, g.Scalar((float)metadata.SigmaMin)]);
            cSkip = g.Node("Div", [g.Scalar(sd2), g.Node("Add", [g.Node("Mul", [d, d]), g.Scalar(sd2)])]);
            cOut = g.Node("Div", [g.Node("Mul", [d, g.Scalar((float)metadata.SigmaData)]), rootVariance]);
        }
        else
        {
            cSkip = g.Node("Div", [g.Scalar(sd2), g.Node("Mul", [rootVariance, rootVariance])]);
            cOut = g.Node("Div", [g.Node("Mul", [sigma, g.Scalar((float)metadata.SigmaData)]), rootVariance]);
        }
        var perPixel = g.Int64s([1, 2, 3]);
        string Image(string perSample) => g.Node("Unsqueeze", [perSample, perPixel]);
        var xIn = g.Node("Mul", [InputX, Image(cIn)]);

        var network = new NetworkEmitter(g, weights, new Dictionary<string, string>
        {
            [NetworkDescription.InputX] = xIn,
            [NetworkDescription.InputNoise] = cNoise,
            [NetworkDescription.InputLabels] = InputClass,
        });
        foreach (var op in description.Ops) network.Emit(op);
        var f = network.ValueOf(description.Output);
        g.Node("Add", [g.Node("Mul", [Image(cSkip), InputX]), g.Node("Mul", [Image(cOut), f])], OutputName);

        var model = new Proto.ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "ConsistencyModels cm export",
            ProducerVersion = producerVersion,
            Domain = "consistencymodels",
            ModelVersion = 1,
            DocString = $"{(plan.Output == "denoiser" ? "Denoiser D(x; sigma)" : "Consistency function f(x, sigma)")} of a {metadata.Method} model "
                + $"(C={cfg.BaseChannels}, {cfg.ClassCount} classes), preconditioning folded in. Sample with the plan in metadata '{PlanKey}'.",
            Graph = g.Graph,
        };
        model.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = Opset });
        model.MetadataProps.Add(new Proto.StringStringEntryProto { Key = MetadataKey, Value = metadata.ToJson() });
        model.MetadataProps.Add(new Proto.StringStringEntryProto { Key = PlanKey, Value = plan.ToJson() });
        model.MetadataProps.Add(new Proto.StringStringEntryProto
        {
            Key = IoKey,
            Value = $"inputs: {InputX} float[batch,{cfg.InChannels},height,width] (height, width multiples of {cfg.DownsamplingFactor}), "
                + $"{InputSigma} float[batch]" + (conditional ? $", {InputClass} int64[batch] in [0, {cfg.ClassCount - 1}]" : "")
                + $"; output: {OutputName} float[batch,{cfg.OutChannels},height,width] in about [-1, 1]",
        });
        return new OnnxExport(model.ToByteArray(), plan, g.OpTypes.ToArray());
    }

    /// <summary>The metadata_props of an ONNX file's bytes (key → value), e.g. <see cref="PlanKey"/>.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not an ONNX model.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(byte[] onnx) =>
        Proto.ModelProto.Parser.ParseFrom(onnx).MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>The distinct op types of an ONNX file's main graph, sorted.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not an ONNX model.</exception>
    public static string[] ReadOpTypes(byte[] onnx) =>
        Proto.ModelProto.Parser.ParseFrom(onnx).Graph.Node.Select(n => n.OpType).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>Emits the ONNX nodes of one <see cref="LayerOp"/> at a time.</summary>
    private sealed class NetworkEmitter(OnnxGraphBuilder g, Func<LayerParameter, float[]> weights, Dictionary<string, string> values)
    {
        public string ValueOf(string name) =>
            values.TryGetValue(name, out var v) ? v : throw new InvalidOperationException($"value '{name}' used before it is computed");

        private string Weight(LayerParameter p, params long[] dims)
        {
            var data = weights(p);
            if (data.LongLength != p.ElementCount)
                throw new ArgumentException($"weight {p}: got {data.Length} values, expected {p.ElementCount}.");
            return g.Initializer(p.Name, data, dims.Length == 0 ? p.Shape : dims);
        }

        private string Silu(string x) => g.Node("Mul", [x, g.Node("Sigmoid", [x])]);

        private string GroupNorm(string x, int groups, double eps, LayerParameter weight, LayerParameter bias)
        {
            // GroupNorm as InstanceNormalization over [B, G, C/G·H·W] (unit scale, zero bias), then the per-channel affine:
            // the form every importer knows (GroupNormalization's scale/bias changed meaning between opsets 18 and 21).
            long c = weight.Shape[0];
            var grouped = g.Node("Reshape", [x, g.Int64s([0, groups, -1])]);
            var normed = g.Node("InstanceNormalization", [grouped, g.Floats(Enumerable.Repeat(1f, groups).ToArray()), g.Floats(new float[groups])],
                null, Float("epsilon", (float)eps));
            var back = g.Node("Reshape", [normed, g.Node("Shape", [x])]);
            return g.Node("Add", [g.Node("Mul", [back, Weight(weight, c, 1, 1)]), Weight(bias, c, 1, 1)]);
        }

        private string Conv(string x, LayerParameter weight, LayerParameter bias, int kernel, bool circular)
        {
            long pad = kernel / 2;
            if (circular && pad > 0)
                x = g.Node("Pad", [x, g.Int64s([0, 0, pad, pad, 0, 0, pad, pad])], null, String("mode", "wrap"));
            long p = circular ? 0 : pad;
            return g.Node("Conv", [x, Weight(weight), Weight(bias)], null,
                Ints("kernel_shape", kernel, kernel), Ints("pads", p, p, p, p), Ints("strides", 1, 1), Ints("dilations", 1, 1), Int("group", 1));
        }

        public void Emit(LayerOp op)
        {
            string In(int i) => ValueOf(op.Inputs[i]);
            var ps = op.Parameters;
            if (NetworkDescription.IsInferenceIdentity(op))
            {
                values[op.Output] = In(0); // dropout: the identity at inference
                return;
            }
            string result = op.Kind switch
            {
                LayerOpKind.NoiseEmbedding => NoiseEmbedding(op, In(0)),
                LayerOpKind.Linear => g.Node("Gemm", [In(0), Weight(ps[0]), Weight(ps[1])], null, Int("transB", 1)),
                LayerOpKind.Embedding => g.Node("Gather", [Weight(ps[0]), In(0)], null, Int("axis", 0)),
                LayerOpKind.Silu => Silu(In(0)),
                LayerOpKind.Add => g.Node("Add", [In(0), In(1)]),
                LayerOpKind.Conv2d => Conv(In(0), ps[0], ps[1], op.Kernel, op.Circular),
                LayerOpKind.GroupNorm => GroupNorm(In(0), op.Groups, op.Epsilon, ps[0], ps[1]),
                LayerOpKind.Modulate => Modulate(In(0), In(1), op.Channels),
                LayerOpKind.AvgPool2 => g.Node("AveragePool", [In(0)], null, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)),
                LayerOpKind.UpsampleNearest2 => g.Node("Resize", [In(0), "", g.Floats([1f, 1f, 2f, 2f])], null,
                    String("mode", "nearest"), String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "floor")),
                LayerOpKind.Concat => g.Node("Concat", op.Inputs.Select(ValueOf).ToArray(), null, Int("axis", 1)),
                LayerOpKind.PixelUnshuffle2 => PixelUnshuffle(In(0), op.Channels / 4),
                LayerOpKind.PixelShuffle2 => g.Node("DepthToSpace", [In(0)], null, Int("blocksize", 2), String("mode", "CRD")),
                LayerOpKind.Attention => Attention(op, In(0)),
                _ => throw new NotSupportedException($"ONNX export has no mapping for {op.Kind}"),
            };
            values[op.Output] = result;
        }

        private string NoiseEmbedding(LayerOp op, string cNoise)
        {
            // a = (c_noise·scale) ⊗ freqs (the same float operations as torch.outer of the scaled input), then [cos a, sin a].
            var freqs = op.Parameters[0];
            var column = g.Node("Unsqueeze", [cNoise, g.Int64s([1])]);
            if (op.Scale != 1.0) column = g.Node("Mul", [column, g.Scalar((float)op.Scale)]);
            var a = g.Node("Mul", [column, Weight(freqs, 1, freqs.Shape[0])]);
            return g.Node("Concat", [g.Node("Cos", [a]), g.Node("Sin", [a])], null, Int("axis", 1));
        }

        private string Modulate(string h, string p, int channels)
        {
            var halves = g.NodeN("Split", [p, g.Int64s([channels, channels])], 2, Int("axis", 1));
            var pixels = g.Int64s([2, 3]);
            var scale = g.Node("Unsqueeze", [halves[0], pixels]);
            var shift = g.Node("Unsqueeze", [halves[1], pixels]);
            return g.Node("Add", [g.Node("Mul", [h, g.Node("Add", [scale, g.Scalar(1f)])]), shift]);
        }

        private string PixelUnshuffle(string x, int channels)
        {
            // SpaceToDepth orders channels (i·2 + j)·C + c; pixel_unshuffle orders them c·4 + i·2 + j: gather them back.
            var order = new long[4 * channels];
            for (int c = 0; c < channels; c++)
                for (int k = 0; k < 4; k++)
                    order[c * 4 + k] = k * channels + c;
            var s2d = g.Node("SpaceToDepth", [x], null, Int("blocksize", 2));
            return g.Node("Gather", [s2d, g.Int64s(order)], null, Int("axis", 1));
        }

        private string Attention(LayerOp op, string x)
        {
            var ps = op.Parameters;
            int c = op.Channels, heads = op.Heads, d = c / heads;
            var qkv = Conv(GroupNorm(x, op.Groups, op.Epsilon, ps[0], ps[1]), ps[2], ps[3], 1, false);
            // [B, 3C, H, W] → [B, 3, heads, d, HW] → [3, B, heads, HW, d].
            var t = g.Node("Transpose", [g.Node("Reshape", [qkv, g.Int64s([0, 3, heads, d, -1])])], null, Ints("perm", 1, 0, 2, 4, 3));
            string Part(long i) => g.Node("Gather", [t, g.Int64s([i], scalar: true)], null, Int("axis", 0));
            var q = Part(0);
            var k = Part(1);
            var v = Part(2);
            var scores = g.Node("Mul", [g.Node("MatMul", [q, g.Node("Transpose", [k], null, Ints("perm", 0, 1, 3, 2))]), g.Scalar((float)(1.0 / Math.Sqrt(d)))]);
            var a = g.Node("MatMul", [g.Node("Softmax", [scores], null, Int("axis", -1)), v]);
            // [B, heads, HW, d] → [B, heads, d, HW] → [B, C, H, W].
            var y = g.Node("Reshape", [g.Node("Transpose", [a], null, Ints("perm", 0, 1, 3, 2)), g.Node("Shape", [x])]);
            return g.Node("Add", [x, Conv(y, ps[4], ps[5], 1, false)]);
        }
    }
}

/// <summary>The result of <see cref="OnnxExporter.Build"/>: the serialized model, its plan and the op types it uses.</summary>
/// <param name="Bytes">The .onnx file's content.</param>
/// <param name="Plan">The sampling plan stored in its metadata.</param>
/// <param name="OpTypes">The ai.onnx op types the graph uses, sorted.</param>
public sealed record OnnxExport(byte[] Bytes, OnnxSamplingPlan Plan, string[] OpTypes)
{
    /// <summary>Writes <see cref="Bytes"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, Bytes);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>"N ops: A, B, …" for logs.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Bytes.Length} bytes, ops: {string.Join(", ", OpTypes)}");
}
