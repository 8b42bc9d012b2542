using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Tests.Gl;

public class GlTextureSinkTests
{
    private GlContext context = null!;
    private GL gl = null!;

    [SetUp]
    public void CreateContext()
    {
        context = GlRequirement.Headless();
        gl = context.GL;
    }

    [TearDown]
    public void DisposeContext() => context?.Dispose();

    // Planar data with the mapping's edge cases (clamping, both ends, the midpoint) and odd sizes
    // (not multiples of the 8×8 work group).
    private static float[] EdgeCaseData(int w, int h)
    {
        float[] special = [-1.5f, -1f, -0.5f, -0.001f, 0f, 0.001f, 0.5f, 0.999f, 1f, 2f];
        var data = new float[3 * w * h];
        var random = new Random(123);
        for (var i = 0; i < data.Length; i++)
            data[i] = i < special.Length ? special[i] : (float)(random.NextDouble() * 2.2 - 1.1);
        return data;
    }

    private static float Expected(float v) => Math.Clamp(v * 0.5f + 0.5f, 0f, 1f);

    private static void AssertMatchesRgba8(GlTextureSink sink, float[] planar)
    {
        int w = sink.Width, h = sink.Height;
        var rgba = new byte[4 * w * h];
        sink.ReadCurrent(rgba);
        var worst = 0.0;
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var exact = Expected(planar[c * w * h + y * w + x]) * 255.0;
                    worst = Math.Max(worst, Math.Abs(rgba[4 * (y * w + x) + c] - exact));
                }
                Assert.That(rgba[4 * (y * w + x) + 3], Is.EqualTo(255), "alpha");
            }
        Assert.That(worst, Is.LessThanOrEqualTo(1.0), "RGBA8 within ±1 LSB of clamp(v·0.5+0.5)·255");
    }

    [Test]
    public void Rgba8ReadbackMatchesMappingWithinOneLsb()
    {
        const int w = 13, h = 7;
        var data = EdgeCaseData(w, h);
        using var sink = new GlTextureSink(gl, w, h, TexturePixelFormat.Rgba8);
        sink.Upload(data, w, h);
        AssertMatchesRgba8(sink, data);
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [Test]
    public void Rgba16FReadbackMatchesMappingToHalfPrecision()
    {
        const int w = 9, h = 10;
        var data = EdgeCaseData(w, h);
        using var sink = new GlTextureSink(gl, w, h, TexturePixelFormat.Rgba16F);
        sink.Upload(data, w, h);
        var rgba = new float[4 * w * h];
        sink.ReadCurrent(rgba);
        for (var i = 0; i < w * h; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var expected = Expected(data[c * w * h + i]);
                // One half-precision ulp (10 mantissa bits) around the expected value.
                var tolerance = Math.Max(expected, 6.1e-5f) / 1024f;
                Assert.That(rgba[4 * i + c], Is.EqualTo(expected).Within(tolerance), $"pixel {i} channel {c}");
            }
            Assert.That(rgba[4 * i + 3], Is.EqualTo(1f));
        }
    }

    [Test]
    public void SameSeedGivesTheSameTextureTwice()
    {
        using var source = new ProceduralTextureSource();
        var request = new TextureRequest(16, 16, 4, 2, 77, 0);
        var data = new float[request.PlanarLength];
        using var sink = new GlTextureSink(gl, 16, 16);
        var first = new byte[4 * 16 * 16];
        var second = new byte[4 * 16 * 16];

        source.Generate(request, data);
        sink.Upload(data, 16, 16);
        sink.ReadCurrent(first);
        var firstTexture = sink.CurrentTexture;
        source.Generate(request with { Seed = 78 }, data);
        sink.Upload(data, 16, 16);
        source.Generate(request, data);
        sink.Upload(data, 16, 16);
        sink.ReadCurrent(second);

        Assert.That(sink.CurrentTexture, Is.Not.EqualTo(firstTexture), "uploads rotate through the three textures");
        Assert.That(second, Is.EqualTo(first).AsCollection);
        AssertMatchesRgba8(sink, data);
    }

    [Test]
    public void ResizeReallocatesAndKeepsTheMapping()
    {
        using var sink = new GlTextureSink(gl, 8, 8);
        sink.Upload(EdgeCaseData(8, 8), 8, 8);
        var generation = sink.Generation;

        var data = EdgeCaseData(12, 5);
        sink.Upload(data, 12, 5);

        Assert.That((sink.Width, sink.Height), Is.EqualTo((12, 5)));
        Assert.That(sink.Generation, Is.EqualTo(generation + 1));
        gl.GetTextureLevelParameter(sink.CurrentTexture, 0, GetTextureParameter.TextureWidth, out int texWidth);
        gl.GetTextureLevelParameter(sink.CurrentTexture, 0, GetTextureParameter.TextureHeight, out int texHeight);
        Assert.That((texWidth, texHeight), Is.EqualTo((12, 5)));
        AssertMatchesRgba8(sink, data);
    }

    private sealed class ConstantSource(float value) : ITextureSource
    {
        public string Description => "constant";
        public IReadOnlyList<string> ClassNames => [];
        public void Generate(in TextureRequest request, Span<float> destination) => destination[..request.PlanarLength].Fill(value);
        public void Dispose() { }
    }

    [Test]
    public void SwitchingSourcesThroughTheTripleBufferShowsTheNewSource()
    {
        var frames = new TripleBuffer<TextureFrame>(() => new TextureFrame());
        using var sink = new GlTextureSink(gl, 8, 8);
        var request = new TextureRequest(8, 8, 0, 1, 1, 0);
        long sequence = 0;

        void Produce(ITextureSource source)
        {
            var frame = frames.Back;
            frame.EnsureSize(request.Width, request.Height);
            source.Generate(request, frame.Pixels);
            frame.Sequence = ++sequence;
            frames.Publish();
        }

        using var procedural = new ProceduralTextureSource();
        Produce(procedural);
        Assert.That(sink.Update(frames), Is.True);
        var expected = new float[request.PlanarLength];
        procedural.Generate(request, expected);
        AssertMatchesRgba8(sink, expected);

        using var constant = new ConstantSource(0.5f);
        Produce(constant);
        Assert.That(sink.Update(frames), Is.True);
        var rgba = new byte[4 * 64];
        sink.ReadCurrent(rgba);
        Assert.That(rgba.Where((_, i) => i % 4 != 3).Distinct(), Is.EquivalentTo(new byte[] { 191 }).Or.EquivalentTo(new byte[] { 192 }), "0.75·255 = 191.25");

        Assert.That(sink.Update(frames), Is.False, "nothing new: keep showing the current texture");
        Assert.That(frames.Late, Is.EqualTo(1));
    }

    [Test]
    public void ProducerSizeChangeReachesTheSinkThroughUpdate()
    {
        using var source = new ProceduralTextureSource();
        using var producer = new TextureProducer(source, new TextureRequest(8, 8, 0, 1, 1, 0));
        using var sink = new GlTextureSink(gl, 8, 8);
        var resized = new TextureRequest(20, 6, 1, 2, 4, 0);
        producer.Request = resized;

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(sink.Update(producer.Frames) && producer.Frames.Front.Request == resized) && DateTime.UtcNow < deadline)
            Thread.Sleep(1);

        Assert.That((sink.Width, sink.Height), Is.EqualTo((20, 6)));
        var expected = new float[resized.PlanarLength];
        using var oracle = new ProceduralTextureSource();
        oracle.Generate(resized, expected);
        AssertMatchesRgba8(sink, expected);
    }

    [Test]
    public void BadSizesAndShortDataAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GlTextureSink(gl, 0, 4));
        using var sink = new GlTextureSink(gl, 4, 4);
        var e = Assert.Throws<ArgumentException>(() => sink.Upload(new float[47], 4, 4));
        Assert.That(e!.Message, Does.Contain("48"));
        Assert.That(sink.HasFrame, Is.False, "nothing uploaded yet: the placeholder is current");
    }

    [Test]
    public void DisposeDeletesEveryGlObject()
    {
        var sink = new GlTextureSink(gl, 8, 8, TexturePixelFormat.Rgba16F);
        sink.Upload(EdgeCaseData(8, 8), 8, 8);
        var textures = sink.Textures.Append(sink.PlanarTexture).ToArray();
        var buffer = sink.PixelBuffer;
        var program = sink.Program;
        Assert.That(textures.All(t => gl.IsTexture(t)), Is.True, "sanity: the objects exist before Dispose");
        Assert.That(gl.IsBuffer(buffer), Is.True);
        Assert.That(gl.IsProgram(program), Is.True);

        sink.Dispose();

        foreach (var t in textures) Assert.That(gl.IsTexture(t), Is.False, $"texture {t}");
        Assert.That(gl.IsBuffer(buffer), Is.False);
        Assert.That(gl.IsProgram(program), Is.False);
        Assert.Throws<ObjectDisposedException>(() => sink.Upload(new float[192], 8, 8));
    }

    [Test]
    public void UseFromAnotherThreadThrows()
    {
        using var sink = new GlTextureSink(gl, 4, 4);
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { sink.Dispose(); }
            catch (Exception e) { error = e; }
        });
        thread.Start();
        thread.Join();
        Assert.That(error, Is.TypeOf<InvalidOperationException>());
    }

    [Test]
    public void SteadyStateUploadAndPresentAllocateNothing()
    {
        const int size = 32;
        var frames = new TripleBuffer<TextureFrame>(() => new TextureFrame());
        using var source = new ProceduralTextureSource();
        using var sink = new GlTextureSink(gl, size, size);
        var request = new TextureRequest(size, size, 0, 1, 3, 0);
        long sequence = 0;
        void Frame()
        {
            var back = frames.Back;
            back.EnsureSize(size, size);
            source.Generate(request, back.Pixels);
            back.Sequence = ++sequence;
            frames.Publish();
            sink.Update(frames);
            gl.BindTexture(TextureTarget.Texture2D, sink.CurrentTexture);
            gl.Finish();
        }

        for (var i = 0; i < 20; i++) Frame(); // warm-up: JIT, slot buffers, driver state
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++) Frame();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.EqualTo(0));
        Assert.That(sink.FramesUploaded, Is.EqualTo(220));
    }
}
