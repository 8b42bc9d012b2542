using ConsistencyModels.Platform;
using Silk.NET.OpenGL;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>Model-generated textures through the GL sink (EGL surfaceless; CM_REQUIRE_GL=1 fails instead of skipping).</summary>
public class GeneratedTextureSinkTests
{
    private string directory = null!;
    private string modelPath = null!;

    [OneTimeSetUp]
    public void SaveModel()
    {
        directory = TestModels.TempDirectory();
        modelPath = TestModels.Save(directory, TestModels.Metadata());
    }

    [OneTimeTearDown]
    public void DeleteModel() => Directory.Delete(directory, recursive: true);

    private static void AssertReadbackMatches(GlTextureSink sink, float[] planar, TexturePixelFormat format)
    {
        int w = sink.Width, h = sink.Height;
        var rgba = new float[4 * w * h];
        sink.ReadCurrent(rgba);
        double worst = 0;
        for (var i = 0; i < w * h; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var expected = Math.Clamp(planar[c * w * h + i] * 0.5f + 0.5f, 0f, 1f);
                worst = Math.Max(worst, Math.Abs(rgba[4 * i + c] - expected));
            }
            Assert.That(rgba[4 * i + 3], Is.EqualTo(1f), "alpha");
        }
        // RGBA8: ±1 LSB of 255; RGBA16F: half precision (10 mantissa bits) on values ≤ 1.
        var tolerance = format == TexturePixelFormat.Rgba8 ? 1.0 / 255 : 1.0 / 1024;
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance));
    }

    [TestCase(TexturePixelFormat.Rgba8, 1)]
    [TestCase(TexturePixelFormat.Rgba16F, 2)]
    public void GeneratedTextureReadBackEqualsThePlanarDataAfterTheMapping(TexturePixelFormat format, int steps)
    {
        using var context = GlRequirement.Headless();
        var gl = context.GL;
        using var generator = new TextureGenerator(modelPath, CPU);
        var request = new TextureRequest(16, 8, 1, steps, 11, 0.3);
        var planar = new float[request.PlanarLength];
        generator.Generate(request, planar);
        using var sink = new GlTextureSink(gl, request.Width, request.Height, format);
        sink.Upload(planar, request.Width, request.Height);
        AssertReadbackMatches(sink, planar, format);
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [Test]
    public void ProducerWithGeneratorReachesTheSinkAndFollowsSizeAndClassChanges()
    {
        using var context = GlRequirement.Headless();
        var gl = context.GL;
        using var generator = new TextureGenerator(modelPath, CPU);
        using var oracle = new TextureGenerator(modelPath, CPU);
        var first = new TextureRequest(8, 8, 0, 1, 3, 0);
        using var producer = new TextureProducer(generator, first);
        using var sink = new GlTextureSink(gl, 8, 8);

        foreach (var request in new[] { first, new TextureRequest(12, 6, 2, 2, 4, 0) })
        {
            producer.Request = request;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(sink.Update(producer.Frames) && producer.Frames.Front.Request == request) && DateTime.UtcNow < deadline)
                Thread.Sleep(1);
            Assert.That(producer.Error, Is.Null);
            Assert.That((sink.Width, sink.Height), Is.EqualTo((request.Width, request.Height)));
            var expected = new float[request.PlanarLength];
            oracle.Generate(request, expected);
            AssertReadbackMatches(sink, expected, TexturePixelFormat.Rgba8);
        }
    }

    [Test]
    public void SteadyStateGenerateCopyAndUploadAllocateOnlyTheForwardsWrappers()
    {
        using var context = GlRequirement.Headless();
        var gl = context.GL;
        using var generator = new TextureGenerator(modelPath, CPU);
        using var sink = new GlTextureSink(gl, 16, 16);
        var request = new TextureRequest(16, 16, 0, 1, 3, 0);
        var planar = new float[request.PlanarLength];
        using var output = rand(1, 3, 16, 16).Times(2).Minus(1);
        void RuntimeFrame(int i)
        {
            var r = request with { Phase = i * 0.3 };
            generator.PrepareNoise(r);
            generator.CopyOut(output, planar);
            sink.Upload(planar, r.Width, r.Height);
            gl.Finish();
        }
        for (var i = 0; i < 10; i++) RuntimeFrame(i);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 10; i < 110; i++) RuntimeFrame(i);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0), "noise + slerp + copy-out + upload");
    }

    [Test]
    public void ASteadyStateFrameOfTheCompiledModelAllocatesNothingFromNoiseToUpload()
    {
        using var context = GlRequirement.Headless();
        var gl = context.GL;
        // The default model's layout (stem, circular padding, classes, no attention: the compiled path) at a tiny width.
        var config = ConsistencyModels.Networks.UNetConfig.Small with { BaseChannels = 8, ClassCount = 3 };
        string path = TestModels.Save(directory, TestModels.Metadata(config: config), name: "noattn.safetensors");
        using var generator = new TextureGenerator(path, CPU);
        Assert.That(generator.IsCompiled, Is.True);
        using var sink = new GlTextureSink(gl, 16, 16);
        var request = new TextureRequest(16, 16, 2, 2, 3, 0);
        var planar = new float[request.PlanarLength];
        void Frame(int i)
        {
            var r = request with { Phase = i * 0.3, Steps = 1 + i % 2 };
            generator.Generate(r, planar);
            sink.Upload(planar, r.Width, r.Height);
            gl.Finish();
        }
        for (var i = 0; i < 10; i++) Frame(i);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 10; i < 110; i++) Frame(i);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0), "noise + slerp + 1–2 network evaluations + copy-out + upload");
        AssertReadbackMatches(sink, planar, TexturePixelFormat.Rgba8);
    }
}
