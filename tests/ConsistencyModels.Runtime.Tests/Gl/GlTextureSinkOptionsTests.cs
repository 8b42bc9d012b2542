using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>
/// The sink's options under EGL (llvmpipe): both conversion paths (the CPU path forced, as a GL 3.3 / 4.1 / GLES 3
/// context would get it), sRGB and linear storage, the mip chain, GL_MAX_TEXTURE_SIZE, the planar split for tall
/// textures and the first-frame placeholder. Oracles are the documented mapping computed here.
/// </summary>
[TestFixture(GlConversionPath.Compute)]
[TestFixture(GlConversionPath.Cpu)]
public sealed class GlTextureSinkOptionsTests(GlConversionPath path)
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

    private GlTextureSink Sink(int w, int h, TexturePixelFormat format = TexturePixelFormat.Rgba8,
        TextureColorSpace colorSpace = TextureColorSpace.SrgbEncoded, bool mipmaps = false) =>
        new(gl, w, h, new GlTextureSinkOptions { Format = format, ColorSpace = colorSpace, Mipmaps = mipmaps, Path = path });

    private static float[] Data(int w, int h, int seed = 5)
    {
        var random = new Random(seed);
        var data = new float[3 * w * h];
        for (var i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2.2 - 1.1);
        return data;
    }

    private static double Decode(double e) => e <= 0.04045 ? e / 12.92 : Math.Pow((e + 0.055) / 1.055, 2.4);

    private static double Encoded(float v) => Math.Clamp(v * 0.5 + 0.5, 0, 1);

    private static double WorstRgba8(GlTextureSink sink, float[] planar, Func<double, double> expected)
    {
        int w = sink.Width, h = sink.Height;
        var rgba = new byte[4 * w * h];
        sink.ReadCurrent(rgba);
        double worst = 0;
        for (var i = 0; i < w * h; i++)
        {
            for (var c = 0; c < 3; c++)
                worst = Math.Max(worst, Math.Abs(rgba[4 * i + c] - expected(Encoded(planar[c * w * h + i])) * 255));
            Assert.That(rgba[4 * i + 3], Is.EqualTo(255), "alpha");
        }
        return worst;
    }

    [Test]
    public void PathIsTheOneAskedFor()
    {
        using var sink = Sink(4, 4);
        Assert.That(sink.Path, Is.EqualTo(path));
        Assert.That(sink.Program != 0, Is.EqualTo(path == GlConversionPath.Compute));
    }

    [Test]
    public void AutoPicksComputeOnlyWhereTheContextHasIt()
    {
        using var sink = new GlTextureSink(gl, 4, 4);
        var caps = GlCapabilities.Query(gl);
        Assert.That(sink.Path, Is.EqualTo(caps.HasComputeConversion ? GlConversionPath.Compute : GlConversionPath.Cpu));
        Assert.That(caps.MaxTextureSize, Is.GreaterThanOrEqualTo(1024));
    }

    [Test]
    public void SrgbEncodedRgba8MatchesTheMapping()
    {
        const int w = 13, h = 7;
        var data = Data(w, h);
        using var sink = Sink(w, h);
        sink.Upload(data, w, h);
        Assert.That(WorstRgba8(sink, data, e => e), Is.LessThanOrEqualTo(1.0));
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [Test]
    public void LinearRgba8HoldsTheDecodedValues()
    {
        const int w = 9, h = 6;
        var data = Data(w, h);
        using var sink = Sink(w, h, colorSpace: TextureColorSpace.Linear);
        sink.Upload(data, w, h);
        Assert.That(WorstRgba8(sink, data, Decode), Is.LessThanOrEqualTo(1.0));
        // Not the encoded values: mid-grey 0.5 decodes to 0.214.
        Assert.That(WorstRgba8(sink, data, e => e), Is.GreaterThan(20));
    }

    [Test]
    public void SrgbRgba8IsAnSrgbTextureHoldingTheEncodedValues()
    {
        const int w = 8, h = 5;
        var data = Data(w, h);
        using var sink = Sink(w, h, colorSpace: TextureColorSpace.Srgb);
        sink.Upload(data, w, h);
        gl.BindTexture(TextureTarget.Texture2D, sink.CurrentTexture);
        gl.GetTexLevelParameter(TextureTarget.Texture2D, 0, GetTextureParameter.TextureInternalFormat, out int internalFormat);
        gl.BindTexture(TextureTarget.Texture2D, 0);
        Assert.That((GLEnum)internalFormat, Is.EqualTo(GLEnum.Srgb8Alpha8), "the GPU decodes when sampling");
        Assert.That(WorstRgba8(sink, data, e => e), Is.LessThanOrEqualTo(1.0), "stored encoded (glGetTexImage returns the stored values)");
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [TestCase(TextureColorSpace.SrgbEncoded)]
    [TestCase(TextureColorSpace.Linear)]
    [TestCase(TextureColorSpace.Srgb)]
    public void Rgba16FMatchesTheMappingToHalfPrecision(TextureColorSpace colorSpace)
    {
        const int w = 9, h = 10;
        var data = Data(w, h);
        using var sink = Sink(w, h, TexturePixelFormat.Rgba16F, colorSpace);
        sink.Upload(data, w, h);
        var rgba = new float[4 * w * h];
        sink.ReadCurrent(rgba);
        bool linear = colorSpace != TextureColorSpace.SrgbEncoded; // no float sRGB format: Srgb stores linear values
        for (var i = 0; i < w * h; i++)
            for (var c = 0; c < 3; c++)
            {
                double e = Encoded(data[c * w * h + i]);
                double expected = linear ? Decode(e) : e;
                Assert.That(rgba[4 * i + c], Is.EqualTo(expected).Within(Math.Max(expected, 6.1e-5) / 1024 + 1e-6), $"pixel {i} channel {c}");
            }
    }

    [Test]
    public void MipChainIsRegeneratedAfterEachUpload()
    {
        const int w = 16, h = 8;
        using var sink = Sink(w, h, mipmaps: true);
        Assert.That(sink.MipLevels, Is.EqualTo(5));
        gl.BindTexture(TextureTarget.Texture2D, sink.CurrentTexture);
        gl.GetTexParameter(TextureTarget.Texture2D, GetTextureParameter.TextureMinFilter, out int min);
        gl.BindTexture(TextureTarget.Texture2D, 0);
        Assert.That((TextureMinFilter)min, Is.EqualTo(TextureMinFilter.LinearMipmapLinear));
        foreach (float level in new[] { -1f, 1f })
        {
            // A pixel checkerboard of ±level... averages to mid-grey at level 1; a constant averages to itself.
            var checker = new float[3 * w * h];
            for (var c = 0; c < 3; c++)
                for (var y = 0; y < h; y++)
                    for (var x = 0; x < w; x++)
                        checker[(c * h + y) * w + x] = (x + y) % 2 == 0 ? level : 0.5f * level;
            sink.Upload(checker, w, h);
            var (w1, h1) = sink.LevelSize(1);
            var top = new byte[4 * 1 * 1];
            var l1 = new byte[4 * w1 * h1];
            sink.ReadLevel(1, l1);
            sink.ReadLevel(sink.MipLevels - 1, top);
            double expected = (Encoded(level) + Encoded(0.5f * level)) / 2 * 255;
            Assert.That(l1.Where((_, i) => i % 4 != 3).Select(b => Math.Abs(b - expected)).Max(), Is.LessThanOrEqualTo(1.5), $"level 1 after the upload of ±{level}");
            Assert.That(Math.Abs(top[0] - expected), Is.LessThanOrEqualTo(1.5), "the last level too");
        }
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [Test]
    public void TallTexturesBeyondAThirdOfTheLimitAreRight()
    {
        // 3·H > GL_MAX_TEXTURE_SIZE used to fail silently (a W × 3H staging texture); now the staging is 3 layers of W × H.
        int max = GlCapabilities.Query(gl).MaxTextureSize;
        int w = 4, h = max / 3 + 16;
        var data = Data(w, h, seed: 9);
        using var sink = Sink(w, h);
        sink.Upload(data, w, h);
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
        Assert.That(WorstRgba8(sink, data, e => e), Is.LessThanOrEqualTo(1.0));
    }

    [Test]
    public void SizesBeyondTheLimitAreRefusedClearly()
    {
        int max = GlCapabilities.Query(gl).MaxTextureSize;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Sink(4, max + 1))!;
        Assert.That(e.Message, Does.Contain("GL_MAX_TEXTURE_SIZE").And.Contain(max.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var sink = Sink(4, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => sink.Upload(new float[3 * 4 * (max + 1)], 4, max + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => sink.EnsureSize(max + 1, 4));
        Assert.That((sink.Width, sink.Height), Is.EqualTo((4, 4)), "a refused size leaves the sink as it was");
    }

    [Test]
    public void FirstFrameIsAValidMidGreyPlaceholder()
    {
        using var sink = Sink(6, 3);
        Assert.That(sink.CurrentTexture, Is.Not.Zero);
        Assert.That(gl.IsTexture(sink.CurrentTexture), Is.True);
        Assert.That(sink.HasFrame, Is.False);
        var placeholder = new float[3 * 6 * 3];
        Assert.That(WorstRgba8(sink, placeholder, e => e), Is.LessThanOrEqualTo(1.0), "v = 0 → 128");
        sink.Upload(Data(6, 3), 6, 3);
        Assert.That(sink.HasFrame, Is.True);
        sink.EnsureSize(8, 8);
        Assert.That(sink.HasFrame, Is.False, "after a resize the placeholder is current again");
        Assert.That(sink.FramesUploaded, Is.EqualTo(1), "placeholders are not counted");
    }

    [Test]
    public void SteadyStateUploadsAllocateNothing()
    {
        const int size = 32;
        var data = Data(size, size);
        using var sink = Sink(size, size, mipmaps: true);
        for (var i = 0; i < 10; i++) sink.Upload(data, size, size);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) { sink.Upload(data, size, size); gl.Finish(); }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
    }

    [Test]
    public void DisposeDeletesEveryGlObject()
    {
        var sink = Sink(8, 8, colorSpace: TextureColorSpace.Srgb, mipmaps: true);
        sink.Upload(Data(8, 8), 8, 8);
        var textures = sink.Textures.Append(sink.PlanarTexture).Where(t => t != 0).ToArray();
        sink.Dispose();
        foreach (var t in textures) Assert.That(gl.IsTexture(t), Is.False, $"texture {t}");
        Assert.That(gl.GetError(), Is.EqualTo(GLEnum.NoError));
    }
}
