using ConsistencyModels.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics.Structure;

/// <summary>
/// A small CNN that names the class of a texture from its shapes alone: input is <see cref="StructurePreprocessing"/>'s
/// standardized gray image; a 3×3 stem, then stages of (stride-2 3×3 conv, 3×3 conv), each conv followed by GroupNorm
/// and SiLU, global average pooling and a linear layer with one output per class plus "no structure"
/// (<see cref="StructureClassifierConfig.NoStructureIndex"/>). Fully convolutional, so any image size that survives the
/// stages can be scored (the pooled features do not depend on the count of positions).
/// </summary>
public sealed class StructureClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Linear head;

    /// <summary>Builds a freshly initialized classifier (GroupNorm weight 1, bias 0; DESIGN.md).</summary>
    public StructureClassifier(StructureClassifierConfig config)
        : base("StructureClassifier")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Conv(string name, int inCh, int outCh, int stride)
        {
            layers.Add(($"{name}_conv", nn.Conv2d(inCh, outCh, 3, stride: stride, padding: 1)));
            layers.Add(($"{name}_norm", Normalization.GroupNorm(outCh)));
            layers.Add(($"{name}_act", nn.SiLU()));
        }
        Conv("stem", 1, config.StemChannels, 1);
        int ch = config.StemChannels;
        for (int s = 0; s < config.StageChannels.Length; s++)
        {
            Conv($"s{s}a", ch, config.StageChannels[s], 2);
            Conv($"s{s}b", config.StageChannels[s], config.StageChannels[s], 1);
            ch = config.StageChannels[s];
        }
        features = nn.Sequential(layers);
        head = nn.Linear(ch, config.ClassNames.Length + 1); // + "no structure"
        RegisterComponents();
    }

    /// <summary>The configuration it was built from.</summary>
    public StructureClassifierConfig Config { get; }

    /// <summary>Logits [N, classes + 1] of preprocessed images [N, 1, h, w] (the last is "no structure").</summary>
    public override Tensor forward(Tensor input) => head.forward(features.forward(input).mean([2, 3]));

    /// <summary>
    /// The predicted class of each image [N, 3, H, W] in [-1, 1] (preprocessed here), in batches; returns int64 [N] on the CPU
    /// (<see cref="StructureClassifierConfig.NoStructureIndex"/> for "no structure").
    /// Runs in eval mode without gradients and restores the training flag.
    /// </summary>
    public Tensor Predict(Tensor images, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(images);
        Guard.AtLeast(batchSize, 1, nameof(batchSize));
        bool wasTraining = training;
        eval();
        try
        {
            using var noGrad = torch.no_grad();
            var device = head.weight.device;
            var parts = new List<Tensor>();
            long n = images.shape[0];
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var batch = images.narrow(0, start, Math.Min(batchSize, n - start)).to(device);
                var input = StructurePreprocessing.Apply(batch, Config.Downsample);
                parts.Add(forward(input).argmax(1).cpu().MoveToOuterDisposeScope());
            }
            var all = torch.cat(parts, 0);
            foreach (var p in parts) p.Dispose();
            return all;
        }
        finally
        {
            if (wasTraining) train();
        }
    }
}
