using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MpiTestHost;

/// <summary>The tiny regression problem: a 3-layer tanh MLP (16→32→32→4) fitting y = sin(x·W) for a fixed W.</summary>
public static class TinyModel
{
    public const int InputDim = 16;
    public const int OutputDim = 4;

    /// <summary>The MLP, initialized from <paramref name="initSeed"/>.</summary>
    public static Module<Tensor, Tensor> Create(long initSeed)
    {
        torch.manual_seed(initSeed);
        return Sequential(
            ("fc1", Linear(InputDim, 32)), ("act1", Tanh()),
            ("fc2", Linear(32, 32)), ("act2", Tanh()),
            ("fc3", Linear(32, OutputDim)));
    }

    /// <summary>The fixed target map W (same on every rank, independent of the run's seed).</summary>
    public static Tensor TargetWeights()
    {
        using var g = new torch.Generator(7);
        return torch.randn(InputDim, OutputDim, generator: g).Times(0.5);
    }

    /// <summary>Snapshot of every parameter, in module order.</summary>
    public static List<NamedTensor> Snapshot(Module<Tensor, Tensor> model) =>
        model.named_parameters().Select(p =>
        {
            using var flat = p.parameter.detach().cpu().contiguous().reshape(-1);
            return new NamedTensor(p.name, p.parameter.shape, flat.data<float>().ToArray());
        }).ToList();

    /// <summary>Copies stored tensors into the model, checking names and shapes.</summary>
    public static void Load(Module<Tensor, Tensor> model, IReadOnlyList<NamedTensor> tensors)
    {
        var ps = model.named_parameters().ToList();
        if (ps.Count != tensors.Count) throw new InvalidDataException($"checkpoint has {tensors.Count} tensors, the model {ps.Count}.");
        using var noGrad = torch.no_grad();
        for (int i = 0; i < ps.Count; i++)
        {
            var (name, p) = ps[i];
            var t = tensors[i];
            if (t.Name != name || !t.Shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"checkpoint tensor {t.Name} [{string.Join(",", t.Shape)}] does not match {name} [{string.Join(",", p.shape)}].");
            using var src = torch.tensor(t.Values).reshape(t.Shape);
            p.copy_(src);
        }
    }
}
