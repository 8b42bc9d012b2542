using ConsistencyModels.Distributed;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Distributed;

[NonParallelizable]
public sealed class SingleProcessSynchronizerTests
{
    [Test]
    public void Collectives_AreIdentities_AndNothingMpiIsLoaded()
    {
        IGradientSynchronizer sync = GradientSynchronizerFactory.Create(GradientSynchronizerFactory.ParseMode(null));
        Assert.That(sync, Is.SameAs(SingleProcessSynchronizer.Instance));
        Assert.That((sync.Rank, sync.WorldSize, sync.IsPrimary), Is.EqualTo((0, 1, true)));

        using var p = new Parameter(tensor(new float[] { 1, 2 }));
        (p * p).sum().backward(); // grad = 2p = [2, 4]
        sync.BroadcastParameters([p]);
        sync.AverageGradients([p]);
        sync.Barrier();
        Assert.That(p.data<float>().ToArray(), Is.EqualTo(new float[] { 1, 2 }));
        Assert.That(p.grad!.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 4 }));
        Assert.That(sync.AllReduceScalar(3.5, ReduceOperation.Sum), Is.EqualTo(3.5));
        Assert.That(sync.MeanOverRanks(3.5), Is.EqualTo(3.5));
        Assert.That(sync.AnyRankNonFinite(double.NaN), Is.True);
        Assert.That(sync.AnyRankNonFinite(1.0), Is.False);

        Assert.That(MpiNative.IsLoaded, Is.False);
        Assert.That(File.ReadAllText("/proc/self/maps"), Does.Not.Contain("libmpi.so"));
    }

    [Test]
    public void ParseMode_AcceptsNoneAndMpi_AndRejectsOthers()
    {
        Assert.That(GradientSynchronizerFactory.ParseMode("none"), Is.EqualTo(DistributedMode.None));
        Assert.That(GradientSynchronizerFactory.ParseMode(" MPI "), Is.EqualTo(DistributedMode.Mpi));
        var ex = Assert.Throws<ArgumentException>(() => GradientSynchronizerFactory.ParseMode("nccl"));
        Assert.That(ex!.Message, Does.Contain("'none' or 'mpi'").And.Contain("nccl"));
    }

    [Test]
    public void RunOrAbort_WithOneProcess_LetsExceptionsPropagate()
    {
        Assert.That(DistributedRunner.RunOrAbort(SingleProcessSynchronizer.Instance, () => 7), Is.EqualTo(7));
        Assert.Throws<InvalidDataException>(() =>
            DistributedRunner.RunOrAbort(SingleProcessSynchronizer.Instance, () => throw new InvalidDataException("bad")));
        Assert.That(DistributedRunner.FormatFault(SingleProcessSynchronizer.Instance, new IOException("a\nb")),
            Is.EqualTo("error: rank 0 of 1: a b (aborting the MPI job)"));
    }

    [Test]
    public void MissingLibrary_GivesTheInstallHint()
    {
        var ex = Assert.Throws<MpiException>(() => MpiNative.Load(["libmpi-does-not-exist.so.99"]));
        Assert.That(ex!.Message, Does.StartWith("Open MPI not found").And.Contain("install openmpi-bin libopenmpi-dev"));
        Assert.That(MpiNative.IsLoaded, Is.False);
    }
}
