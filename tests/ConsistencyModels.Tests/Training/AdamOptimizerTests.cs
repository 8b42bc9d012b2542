using ConsistencyModels.Platform;
using ConsistencyModels.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Training;

/// <summary>
/// Our Scalar-safe Adam against TorchSharp's on the same gradients: the same bits after several steps, and each
/// reads the other's saved state (old checkpoints keep resuming).
/// </summary>
public class AdamOptimizerTests
{
    private static Sequential Net(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3));
    }

    private static void Backward(Sequential net, int step)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)(100 + step));
        var x = randn(new long[] { 4, 5 }, generator: g);
        var target = randn(new long[] { 4, 3 }, generator: g);
        var loss = (net.call(x) - target).Square().mean();
        loss.backward();
    }

    private static float[][] Weights(Sequential net) => net.parameters().Select(p => p.data<float>().ToArray()).ToArray();

    [TestCase(0.0)]
    [TestCase(0.01)]
    public void MatchesTorchSharpAdamBitForBit(double weightDecay)
    {
        using var a = Net(3);
        using var b = Net(3);
        Assert.That(Weights(a), Is.EqualTo(Weights(b)), "same initial weights");
        using var ours = new AdamOptimizer(a.parameters(), 1e-2, weightDecay: weightDecay);
        using var theirs = optim.Adam(b.parameters(), lr: 1e-2, weight_decay: weightDecay);
        for (int step = 0; step < 8; step++)
        {
            double lr = 1e-2 * Math.Min(1.0, (step + 1.0) / 3); // a warm-up, as the trainer does
            ours.LearningRate = lr;
            foreach (var group in theirs.ParamGroups) group.LearningRate = lr;
            ours.ZeroGrad();
            theirs.zero_grad();
            Backward(a, step);
            Backward(b, step);
            ours.Step();
#pragma warning disable CM0002 // the reference: TorchSharp's own Adam, Scalars and all
            theirs.step();
#pragma warning restore CM0002
        }
        Assert.That(Weights(a), Is.EqualTo(Weights(b)));
        Assert.That(Weights(a)[0], Is.Not.EqualTo(Weights(Net(3))[0]), "the steps changed the weights");
    }

    [Test]
    public void StateRoundTripsThroughTorchSharpsFormatBothWays()
    {
        using var a = Net(5);
        using var b = Net(5);
        using var ours = new AdamOptimizer(a.parameters(), 2e-3);
        for (int step = 0; step < 3; step++)
        {
            ours.ZeroGrad();
            Backward(a, step);
            ours.Step();
        }
        using var theirs = optim.Adam(b.parameters(), lr: 2e-3);
        using (var ms = new MemoryStream())
        {
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) ours.SaveState(w);
            ms.Position = 0;
            using var r = new BinaryReader(ms);
            theirs.load_state_dict(r); // a checkpoint written by us loads into TorchSharp's Adam
        }
        using var back = new AdamOptimizer(Net(5).parameters(), 1.0);
        using (var ms = new MemoryStream())
        {
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) theirs.save_state_dict(w);
            ms.Position = 0;
            using var r = new BinaryReader(ms);
            back.LoadState(r); // and an old checkpoint (TorchSharp's Adam) loads into ours
        }
        Assert.That(back.LearningRate, Is.EqualTo(2e-3));
        Assert.That(back.InitialLearningRate, Is.EqualTo(2e-3));
        for (int i = 0; i < ours.Parameters.Count; i++)
        {
            Assert.That(back.StepCount(i), Is.EqualTo(3));
            Assert.That(back.Moments(i).ExpAvg.data<float>().ToArray(), Is.EqualTo(ours.Moments(i).ExpAvg.data<float>().ToArray()));
            Assert.That(back.Moments(i).ExpAvgSq.data<float>().ToArray(), Is.EqualTo(ours.Moments(i).ExpAvgSq.data<float>().ToArray()));
            Assert.That(back.Moments(i).ExpAvg.abs().sum().item<float>(), Is.GreaterThan(0f));
        }
    }

    [Test]
    public void RefusesAnotherOptimizersState()
    {
        using var a = Net(1);
        using var sgd = optim.SGD(a.parameters(), 0.1);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) sgd.save_state_dict(w);
        ms.Position = 0;
        using var ours = new AdamOptimizer(a.parameters());
        var e = Assert.Throws<InvalidDataException>(() => ours.LoadState(new BinaryReader(ms)));
        Assert.That(e!.Message, Does.Contain("'SGD'"));
    }
}
