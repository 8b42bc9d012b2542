using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Tests;

/// <summary>The game-facing API of issue 16: classes by name, batches, one thread at a time, async with cancellation,
/// producer failures raised to the caller. Oracles: the single-texture Generate (itself checked against ModelSampler).</summary>
public class TextureGeneratorApiTests
{
    private string directory = null!;
    private string modelPath = null!;
    private string eulerPath = null!;

    [OneTimeSetUp]
    public void SaveModels()
    {
        directory = TestModels.TempDirectory();
        modelPath = TestModels.Save(directory, TestModels.Metadata());
        eulerPath = TestModels.Save(directory, TestModels.Metadata(ModelKind.Teacher) with { Method = ConsistencyModels.Training.TrainingMethod.Rectified }, seed: 3, name: "rectified.safetensors");
    }

    [OneTimeTearDown]
    public void DeleteModels() => Directory.Delete(directory, recursive: true);

    private static float[] Single(TextureGenerator generator, TextureRequest request)
    {
        var data = new float[request.PlanarLength];
        generator.Generate(request, data);
        return data;
    }

    [Test]
    public void ClassesAreFoundByNameIgnoringCaseAndSpaces()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        Assert.That(generator.ClassIndex("Fabric"), Is.EqualTo(1));
        Assert.That(generator.ClassIndex("  water "), Is.EqualTo(2));
        Assert.That(generator.FindClass("Lava"), Is.EqualTo(-1));
        var e = Assert.Throws<ArgumentException>(() => generator.ClassIndex("Lava"));
        Assert.That(e!.Message, Does.Contain("'Lava' is not a class").And.Contain("Stone, Fabric, Water"));

        using var procedural = new ProceduralTextureSource();
        Assert.That(procedural.ClassIndex(procedural.ClassNames[3].ToUpperInvariant()), Is.EqualTo(3));
    }

    [TestCase(false, false, 1)]
    [TestCase(false, false, 2)]
    [TestCase(false, true, 2)]
    [TestCase(true, false, 2)]
    [TestCase(true, true, 1)]
    public void ABatchEqualsOneCallPerRequest(bool eulerModel, bool compile, int steps)
    {
        using var generator = new TextureGenerator(eulerModel ? eulerPath : modelPath, CPU, NetworkPrecision.Float32, compile);
        TextureRequest[] requests =
        [
            new(16, 8, 0, steps, 5, 0),
            new(16, 8, 2, steps, 9, 0.25),
            new(16, 8, 1, steps, 5, 0),
            new(16, 8, 2, steps, 123456789, 3.5),
        ];
        var per = requests[0].PlanarLength;
        var batch = new float[per * requests.Length];
        generator.Generate(requests, batch);
        for (int i = 0; i < requests.Length; i++)
        {
            var expected = Single(generator, requests[i]);
            var actual = batch.AsSpan(i * per, per).ToArray();
            Assert.That(actual, Is.EqualTo(expected).Within(1e-5).AsCollection, $"texture {i}");
        }
        // The textures differ (class, seed): a batch that repeated one texture would pass the loop only by accident.
        Assert.That(batch.AsSpan(0, per).ToArray(), Is.Not.EqualTo(batch.AsSpan(2 * per, per).ToArray()).AsCollection);
        // Again with the same shape (reused buffers) and a smaller batch (reallocated).
        generator.Generate(requests.AsSpan(1, 2), batch);
        Assert.That(batch.AsSpan(0, per).ToArray(), Is.EqualTo(Single(generator, requests[1])).Within(1e-5).AsCollection);
    }

    [Test]
    public void ABatchOfMixedSizesOrStepsIsRefused()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var buffer = new float[2 * 3 * 16 * 16];
        var e = Assert.Throws<ArgumentException>(() => generator.Generate([new(16, 16, 0, 1, 1, 0), new(8, 8, 0, 1, 1, 0)], buffer));
        Assert.That(e!.Message, Does.Contain("a batch shares size and steps"));
        Assert.Throws<ArgumentException>(() => generator.Generate([new(16, 16, 0, 1, 1, 0), new(16, 16, 0, 2, 1, 0)], buffer));
        Assert.Throws<ArgumentException>(() => generator.Generate([new(16, 16, 0, 1, 1, 0), new(16, 16, 0, 1, 1, 0)], new float[10]));
        Assert.Throws<ArgumentException>(() => generator.Generate(ReadOnlySpan<TextureRequest>.Empty, buffer));
    }

    [Test]
    public void ASecondThreadInsideGenerateFailsLoudly()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(8, 8, 0, 1, 1, 0);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        generator.InsideGenerateForTests = () =>
        {
            if (Thread.CurrentThread.Name != "first") return;
            inside.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        };
        Exception? firstError = null;
        var first = new Thread(() =>
        {
            try { Single(generator, request); }
            catch (Exception e) { firstError = e; }
        }) { Name = "first" };
        first.Start();
        Assert.That(inside.Wait(TimeSpan.FromSeconds(30)), Is.True);
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => Single(generator, request));
            Assert.That(e!.Message, Does.Contain("while thread").And.Contain("serves one thread at a time"));
            Assert.Throws<InvalidOperationException>(() => generator.Generate([request, request], new float[2 * request.PlanarLength]));
        }
        finally
        {
            release.Set();
            first.Join();
        }
        Assert.That(firstError, Is.Null);
        // Sequential use from another thread is fine once the first is done.
        generator.InsideGenerateForTests = null;
        Assert.DoesNotThrow(() => Single(generator, request));
    }

    [Test]
    public void TwoProducersOnOneGeneratorAreRefused()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(8, 8, 0, 1, 1, 0);
        var first = new TextureProducer(generator, request);
        var e = Assert.Throws<InvalidOperationException>(() => new TextureProducer(generator, request with { Seed = 2 }));
        Assert.That(e!.Message, Does.Contain("already feeds another TextureProducer"));
        first.Dispose();
        using var second = new TextureProducer(generator, request); // the generator is free again
        Assert.That(second.Error, Is.Null);
    }

    [Test]
    public async Task GenerateAsyncEqualsGenerateAndTakesTurns()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var a = new TextureRequest(16, 8, 1, 2, 11, 0);
        var b = a with { ClassIndex = 2, Seed = 12 };
        var expectedA = Single(generator, a);
        var expectedB = Single(generator, b);
        // Concurrent awaits on one generator take turns instead of colliding.
        var results = await Task.WhenAll(generator.GenerateAsync(a), generator.GenerateAsync(b), generator.GenerateAsync(a));
        Assert.That(results[0], Is.EqualTo(expectedA).Within(1e-6).AsCollection);
        Assert.That(results[1], Is.EqualTo(expectedB).Within(1e-6).AsCollection);
        Assert.That(results[2], Is.EqualTo(expectedA).Within(1e-6).AsCollection);

        var batch = new float[2 * a.PlanarLength];
        await generator.GenerateAsync(new[] { a, b }, batch);
        Assert.That(batch.AsSpan(a.PlanarLength).ToArray(), Is.EqualTo(expectedB).Within(1e-5).AsCollection);
    }

    [Test]
    public void GenerateAsyncRaisesErrorsAndCancellationToTheCaller()
    {
        using var generator = new TextureGenerator(modelPath, CPU, NetworkPrecision.Float32);
        var request = new TextureRequest(8, 8, 0, 1, 1, 0);

        // A bad request faults the task with the generator's own exception.
        var bad = generator.GenerateAsync(request with { ClassIndex = 7 });
        var e = Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await bad);
        Assert.That(e!.Message, Does.Contain("class index"));
        Assert.That(bad.IsFaulted, Is.True);

        // Cancelled before it starts.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await generator.GenerateAsync(request, cancelled.Token));

        // Cancelled while waiting for its turn behind a texture that is being generated.
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        generator.InsideGenerateForTests = () => { inside.Set(); release.Wait(TimeSpan.FromSeconds(30)); };
        var running = generator.GenerateAsync(request);
        Assert.That(inside.Wait(TimeSpan.FromSeconds(30)), Is.True);
        using var waiting = new CancellationTokenSource();
        var queued = generator.GenerateAsync(request, waiting.Token);
        waiting.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await queued);
        Assert.That(running.IsCompleted, Is.False, "the running texture is not interrupted");
        generator.InsideGenerateForTests = null;
        release.Set();
        Assert.DoesNotThrowAsync(async () => await running);
    }

    private sealed class FailingSource : ITextureSource
    {
        public string Description => "failing source";
        public IReadOnlyList<string> ClassNames => [];
        public void Generate(in TextureRequest request, Span<float> destination) => throw new InvalidDataException("model went away");
        public void Dispose() { }
    }

    [Test]
    public void AProducerRaisesTheSourcesFailureToTheCaller()
    {
        using var source = new FailingSource();
        var request = new TextureRequest(4, 4, 0, 1, 1, 0);
        using var producer = new TextureProducer(source, request, animate: false);
        var ex = Assert.ThrowsAsync<InvalidDataException>(async () => await producer.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.That(ex!.Message, Is.EqualTo("model went away"));
        Assert.That(producer.Error, Is.SameAs(ex));
    }

    private sealed class GatedFailingSource : ITextureSource
    {
        public readonly ManualResetEventSlim Gate = new();
        public string Description => "gated failing source";
        public IReadOnlyList<string> ClassNames => [];
        public void Generate(in TextureRequest request, Span<float> destination)
        {
            Gate.Wait(TimeSpan.FromSeconds(30));
            throw new InvalidDataException("model went away");
        }
        public void Dispose() => Gate.Dispose();
    }

    [Test]
    public void TheFailedEventCarriesTheExceptionAndRequest()
    {
        using var source = new GatedFailingSource();
        var request = new TextureRequest(4, 4, 0, 1, 77, 0);
        using var raised = new ManualResetEventSlim();
        TextureProducerFailedEventArgs? args = null;
        using var producer = new TextureProducer(source, request);
        producer.Failed += (_, a) => { args = a; raised.Set(); };
        source.Gate.Set(); // the first frame fails only after the subscription
        Assert.That(raised.Wait(TimeSpan.FromSeconds(30)), Is.True, "the Failed event was raised");
        Assert.That(args!.Error, Is.InstanceOf<InvalidDataException>());
        Assert.That(args.Request.Seed, Is.EqualTo(77UL));
        Assert.ThrowsAsync<InvalidDataException>(async () => await producer.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
