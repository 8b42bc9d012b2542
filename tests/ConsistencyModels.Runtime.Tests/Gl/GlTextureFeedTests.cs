using ConsistencyModels.Networks;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>The library's backend choice (<see cref="GlTextureFeeds"/>) and the two <see cref="IGlTextureFeed"/>s behind
/// it, under EGL: which feed each preference gets on this renderer, that the unused factory is never called, and that
/// both feeds deliver a texture of the requested size through the same interface.</summary>
public class GlTextureFeedTests : HeadlessGlFixture
{
    private string modelPath = null!;
    private int cpuCalls, gpuCalls, sourcesDisposed;

    // 32×16: non-square, a multiple of the tiny model's downsampling factor 2.
    private static readonly TextureRequest Request = new(32, 16, ClassIndex: 1, Steps: 1, Seed: 7, Phase: 0);

    [SetUp]
    public void SaveModel()
    {
        modelPath = TestModels.Save(directory, TestModels.Metadata());
        cpuCalls = gpuCalls = sourcesDisposed = 0;
    }

    private string Renderer => gl.GetStringS(StringName.Renderer) ?? "";

    private IGlTextureFeed Create(TextureBackend preference, out string why) =>
        GlTextureFeeds.Create(gl, preference, Request,
            () => { cpuCalls++; return new CountingSource(this); },
            () => { gpuCalls++; return GlComputeTextureGenerator.FromFile(gl, modelPath); },
            out why);

    [Test]
    public void AutoPicksTheCpuFeedOnASoftwareRendererAndTheGlFeedOnAGpu()
    {
        using var feed = Create(TextureBackend.Auto, out string why);
        TestContext.Out.WriteLine($"{Renderer}: {feed.Backend.Name()} ({why})");
        if (GlComputeTextureGenerator.IsSoftwareRenderer(Renderer))
        {
            Assert.That(feed, Is.InstanceOf<ProducerTextureFeed>());
            Assert.That(feed.Backend, Is.EqualTo(TextureBackend.Torch));
            Assert.That(why, Does.StartWith("auto: ").And.Contain(Renderer).And.Contain("software renderer"));
            Assert.That((cpuCalls, gpuCalls), Is.EqualTo((1, 0)), "the GL generator is never made");
        }
        else
        {
            Assert.That(feed, Is.InstanceOf<GlComputeTextureFeed>());
            Assert.That(feed.Backend, Is.EqualTo(TextureBackend.Gl));
            Assert.That(why, Does.StartWith("auto: ").And.Contain(Renderer));
            Assert.That((cpuCalls, gpuCalls), Is.EqualTo((0, 1)), "the CPU source is never made");
        }
        Assert.That(GlTextureFeeds.Choose(gl, TextureBackend.Auto, out string again), Is.EqualTo(feed.Backend));
        Assert.That(again, Is.EqualTo(why));
    }

    [Test]
    public void GlForcesTheComputeFeedEvenOnASoftwareRenderer()
    {
        using var feed = Create(TextureBackend.Gl, out string why);
        Assert.That(feed, Is.InstanceOf<GlComputeTextureFeed>());
        Assert.That(feed.Backend, Is.EqualTo(TextureBackend.Gl));
        Assert.That(why, Does.StartWith("gl requested").And.Contain(Renderer));
        Assert.That((cpuCalls, gpuCalls), Is.EqualTo((0, 1)), "the CPU source is never made");
        Assert.That(feed.ClassNames, Is.EqualTo(TestModels.ClassNames).AsCollection);
    }

    [Test]
    public void TorchForcesTheCpuFeed()
    {
        using var feed = Create(TextureBackend.Torch, out string why);
        Assert.That(feed, Is.InstanceOf<ProducerTextureFeed>());
        Assert.That(feed.Backend, Is.EqualTo(TextureBackend.Torch));
        Assert.That(why, Is.EqualTo("torch requested"));
        Assert.That((cpuCalls, gpuCalls), Is.EqualTo((1, 0)), "the GL generator is never made");
    }

    [TestCase(TextureBackend.Gl)]
    [TestCase(TextureBackend.Torch)]
    public void BothFeedsDeliverAFirstTextureOfTheRequestedSizeAndOwnWhatTheyMade(TextureBackend backend)
    {
        var feed = Create(backend, out _);
        uint texture;
        try
        {
            Assert.That(feed.Backend, Is.EqualTo(backend));
            Assert.That(feed.WaitForFirst(TimeSpan.FromSeconds(60)), Is.True);
            for (int i = 0; i < 3; i++) feed.Update();
            Assert.That(feed.Error, Is.Null);
            Assert.That(feed.Shown, Is.GreaterThanOrEqualTo(1));
            Assert.That(feed.Produced, Is.GreaterThanOrEqualTo(feed.Shown));
            Assert.That((feed.Width, feed.Height), Is.EqualTo((Request.Width, Request.Height)));
            var shown = feed.ShownRequest;
            Assert.That((shown.Width, shown.Height, shown.ClassIndex, shown.Steps, shown.Seed), Is.EqualTo((32, 16, 1, 1, 7UL)));

            // The texture GL holds has the requested size, whatever the feed says.
            texture = feed.CurrentTexture;
            Assert.That(gl.IsTexture(texture), Is.True);
            gl.BindTexture(TextureTarget.Texture2D, texture);
            gl.GetTexLevelParameter(TextureTarget.Texture2D, 0, GetTextureParameter.TextureWidth, out int w);
            gl.GetTexLevelParameter(TextureTarget.Texture2D, 0, GetTextureParameter.TextureHeight, out int h);
            gl.BindTexture(TextureTarget.Texture2D, 0);
            Assert.That((w, h), Is.EqualTo((32, 16)));

            // A generated texture, not a flat placeholder, and opaque.
            var rgba = new byte[4 * 32 * 16];
            feed.ReadCurrent(rgba);
            Assert.That(Enumerable.Range(0, rgba.Length / 4).Select(i => rgba[4 * i]).Distinct().Count(), Is.GreaterThan(8), "red varies");
            Assert.That(Enumerable.Range(0, rgba.Length / 4).All(i => rgba[4 * i + 3] == 255), Is.True, "alpha is 1");
            Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
            feed.Stop();
            long produced = feed.Produced;
            feed.Update();
            Thread.Sleep(20);
            Assert.That(feed.Produced, Is.EqualTo(produced), "nothing is generated after Stop");
        }
        finally
        {
            feed.Dispose();
        }
        Assert.That(gl.IsTexture(texture), Is.False, "disposing the feed deletes its textures");
        if (backend == TextureBackend.Torch) Assert.That(sourcesDisposed, Is.EqualTo(1), "the feed disposes the source its factory made");
    }

    [TestCase(TextureBackend.Gl)]
    [TestCase(TextureBackend.Torch)]
    public void AFrameOfEitherFeedAllocatesNoManagedMemory(TextureBackend backend)
    {
        using var feed = Create(backend, out _);
        Assert.That(feed.WaitForFirst(TimeSpan.FromSeconds(60)), Is.True);
        for (int i = 0; i < 5; i++) { feed.Update(); gl.Finish(); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            feed.Update();
            _ = feed.CurrentTexture;
            gl.Finish();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.EqualTo(0), "managed bytes allocated on the render thread by 20 frames");
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [Test]
    public void TextureGeneratorCreateFeedLoadsTheSameModelForEitherBackend()
    {
        using var cpu = TextureGenerator.CreateFeed(gl, Request, out string cpuWhy, TextureBackend.Torch, modelPath, NetworkPrecision.Float32);
        using var gpu = TextureGenerator.CreateFeed(gl, Request, out string gpuWhy, TextureBackend.Gl, modelPath);
        Assert.That(cpu, Is.InstanceOf<ProducerTextureFeed>(), cpuWhy);
        Assert.That(gpu, Is.InstanceOf<GlComputeTextureFeed>(), gpuWhy);
        Assert.That(cpu.ClassNames, Is.EqualTo(TestModels.ClassNames).AsCollection);
        Assert.That(gpu.ClassNames, Is.EqualTo(TestModels.ClassNames).AsCollection);
        Assert.That(cpu.WaitForFirst(TimeSpan.FromSeconds(60)), Is.True);
        Assert.That(gpu.WaitForFirst(TimeSpan.FromSeconds(60)), Is.True);
        Assert.That((cpu.Width, cpu.Height, gpu.Width, gpu.Height), Is.EqualTo((32, 16, 32, 16)));
    }

    [Test]
    public void BackendNamesRoundTripAsTheViewerSpellsThem()
    {
        foreach (var backend in Enum.GetValues<TextureBackend>())
        {
            Assert.That(TextureBackends.TryParse(backend.Name(), out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(backend));
        }
        Assert.That(new[] { TextureBackend.Auto.Name(), TextureBackend.Gl.Name(), TextureBackend.Torch.Name() }, Is.EqualTo(new[] { "auto", "gl", "torch" }));
        Assert.That(TextureBackends.TryParse("cuda", out _), Is.False);
        Assert.That(TextureBackends.TryParse("GL", out _), Is.False);
    }

    /// <summary>The procedural source, counting its disposal (the feed must own what its factory made).</summary>
    private sealed class CountingSource(GlTextureFeedTests owner) : ITextureSource
    {
        private readonly ProceduralTextureSource inner = new();
        public string Description => inner.Description;
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public void Generate(in TextureRequest request, Span<float> destination) => inner.Generate(request, destination);
        public void Dispose() => owner.sourcesDisposed++;
    }
}
