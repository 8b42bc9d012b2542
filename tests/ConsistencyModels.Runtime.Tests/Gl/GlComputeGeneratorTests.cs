using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Runtime.Compute;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;
using static TorchSharp.torch;
using ScalarType = TorchSharp.torch.ScalarType;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>The GL compute backend's contract beyond equality: GPU noise, the texture mapping, triple buffering with
/// fences, no GL error, no managed allocation per steady-state frame, and disposal that leaves no GL object.</summary>
public class GlComputeGeneratorTests : HeadlessGlFixture
{
    private LoadedModel model = null!;

    [SetUp]
    public void LoadModel() => model = ModelFile.Load(TestModels.Save(directory, TestModels.Metadata(taus: [2.5])), CPU);

    [TearDown]
    public void DisposeModel() => model?.Dispose();

    private float[] Generate(GlComputeTextureGenerator g, TextureRequest r)
    {
        using var texture = new TestTexture(gl, r.Width, r.Height, g.Options.Format == TexturePixelFormat.Rgba16F ? SizedInternalFormat.Rgba16f : SizedInternalFormat.Rgba8);
        g.Generate(r, texture.Name);
        var result = new float[r.PlanarLength];
        g.ReadResult(result);
        return result;
    }

    [Test]
    public void GpuNoiseIsSeededStandardNormalAndTheSameSeedRepeats()
    {
        using var g = GlComputeSupport.Generator(gl, model);
        var a = Generate(g, new TextureRequest(32, 32, 0, 1, 5, 0));
        var b = Generate(g, new TextureRequest(32, 32, 0, 1, 5, 0));
        var c = Generate(g, new TextureRequest(32, 32, 0, 1, 6, 0));
        Assert.That(a, Is.EqualTo(b).AsCollection, "same request, same texture");
        Assert.That(GlComputeSupport.MaxAbsDifference(a, c), Is.GreaterThan(0.05), "another seed, another texture");
        var z = g.DrawNoise(64, 64, 123, stream: 0);
        double mean = z.Average(), variance = z.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.05), "mean of 12288 draws");
        Assert.That(variance, Is.EqualTo(1).Within(0.05), "variance");
        Assert.That(z.Count(v => Math.Abs(v) > 3) / (double)z.Length, Is.EqualTo(0.0027).Within(0.002), "tails of N(0, 1)");
        var other = g.DrawNoise(64, 64, 124, stream: 0);
        var second = g.DrawNoise(64, 64, 123, stream: 1);
        Assert.That(Math.Abs(Correlation(z, other)), Is.LessThan(0.05), "seeds are independent");
        Assert.That(Math.Abs(Correlation(z, second)), Is.LessThan(0.05), "z and z′ are independent");
        // Neighbouring pairs (Box–Muller) are not correlated either.
        Assert.That(Math.Abs(Correlation(z.Where((_, i) => i % 2 == 0).ToArray(), z.Where((_, i) => i % 2 == 1).ToArray())), Is.LessThan(0.05));
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) * (a[i] - ma); bb += (b[i] - mb) * (b[i] - mb); }
        return ab / Math.Sqrt(aa * bb);
    }

    [TestCase(TexturePixelFormat.Rgba8, TextureColorSpace.SrgbEncoded)]
    [TestCase(TexturePixelFormat.Rgba16F, TextureColorSpace.SrgbEncoded)]
    [TestCase(TexturePixelFormat.Rgba16F, TextureColorSpace.Linear)]
    [TestCase(TexturePixelFormat.Rgba8, TextureColorSpace.Srgb)]
    public void TextureHoldsTheSinksMappingOfTheResult(TexturePixelFormat format, TextureColorSpace space)
    {
        using var g = GlComputeSupport.Generator(gl, model, new GlComputeOptions { Format = format, ColorSpace = space });
        var request = new TextureRequest(20, 12, 1, 2, 3, 0.5);
        Assert.That(g.TrySubmit(request), Is.True);
        gl.Finish();
        Assert.That(g.Poll(), Is.True, "finished after glFinish");
        var planar = new float[request.PlanarLength];
        g.ReadResult(planar);
        var rgba = new float[4 * request.Width * request.Height];
        unsafe
        {
            fixed (float* p = rgba) gl.GetTextureImage(g.CurrentTexture, 0, PixelFormat.Rgba, PixelType.Float, (uint)(rgba.Length * sizeof(float)), p);
        }
        bool linear = space == TextureColorSpace.Linear || (space == TextureColorSpace.Srgb && format == TexturePixelFormat.Rgba16F);
        var expected = new float[rgba.Length];
        PlanarTextureConversion.ToRgbaFloat(planar, request.Width, request.Height, expected, linear);
        if (space == TextureColorSpace.Srgb && format == TexturePixelFormat.Rgba8)
        {
            // An sRGB texture holding the encoded values (glGetTexImage returns what is stored), as GlTextureSink does.
            gl.BindTexture(TextureTarget.Texture2D, g.CurrentTexture);
            gl.GetTexLevelParameter(TextureTarget.Texture2D, 0, GetTextureParameter.TextureInternalFormat, out int internalFormat);
            gl.BindTexture(TextureTarget.Texture2D, 0);
            Assert.That((GLEnum)internalFormat, Is.EqualTo(GLEnum.Srgb8Alpha8), "the GPU decodes when sampling");
        }
        double tolerance = format == TexturePixelFormat.Rgba8 ? 1.0 / 255 + 1e-3 : 2e-3;
        Assert.That(GlComputeSupport.MaxAbsDifference(expected, rgba), Is.LessThanOrEqualTo(tolerance));
        GlComputeSupport.AssertNoGlError(gl, "generation");
    }

    [Test]
    public void SubmitNeverOverwritesTheCurrentTextureAndPollTakesTheNewest()
    {
        using var g = GlComputeSupport.Generator(gl, model);
        var request = new TextureRequest(16, 16, 0, 1, 1, 0);
        Assert.That(g.CurrentTexture, Is.EqualTo(0u), "nothing before the first submission");
        Assert.That(g.TrySubmit(request), Is.True);
        uint placeholder = g.CurrentTexture;
        Assert.That(g.HasFrame, Is.False, "the placeholder is current until a texture finished");
        Assert.That(g.TrySubmit(request with { Seed = 2 }), Is.True);
        // Two in flight besides the current one: a third submission must wait for the GPU (never blocks, says false),
        // unless the GPU already finished one of them.
        bool third = g.TrySubmit(request with { Seed = 3 });
        Assert.That(third, Is.EqualTo(g.Submitted == 3));
        gl.Finish();
        Assert.That(g.Poll(), Is.True);
        Assert.That(g.HasFrame, Is.True);
        Assert.That(g.CurrentSequence, Is.EqualTo(g.Submitted), "the newest finished texture is shown");
        Assert.That(g.Textures.Distinct().Count(), Is.EqualTo(3));
        for (int i = 0; i < 10; i++)
        {
            uint shown = g.CurrentTexture;
            Assert.That(g.TrySubmit(request with { Seed = (ulong)(10 + i) }), Is.True, "a slot is free after glFinish");
            Assert.That(g.CurrentTexture, Is.EqualTo(shown), "submitting does not touch the shown texture");
            gl.Finish();
            g.Poll();
            Assert.That(g.CurrentTexture, Is.Not.EqualTo(shown), "the new texture is shown once finished");
        }
        GlComputeSupport.AssertNoGlError(gl, "submissions");
    }

    [Test]
    public void SteadyStateFramesAllocateNoManagedMemory()
    {
        using var g = GlComputeSupport.Generator(gl, model);
        var request = new TextureRequest(16, 16, 1, 2, 9, 0.25);
        for (int i = 0; i < 6; i++) { g.TrySubmit(request with { Phase = 0.25 + i }); gl.Finish(); g.Poll(); }
        using var texture = new TestTexture(gl, 16, 16);
        g.Generate(request, texture.Name);
        gl.Finish();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            g.TrySubmit(request with { Phase = 0.5 + i * 0.1, ClassIndex = 1 });
            g.Poll();
            g.Generate(request with { Phase = i * 0.3 }, texture.Name);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        gl.Finish();
        Assert.That(allocated, Is.EqualTo(0), "managed bytes allocated by 20 steady-state frames");
        GlComputeSupport.AssertNoGlError(gl, "frames");
    }

    [Test]
    public void DisposeDeletesEveryGlObject()
    {
        var g = GlComputeSupport.Generator(gl, model);
        g.TrySubmit(new TextureRequest(16, 16, 0, 2, 1, 0.5));
        g.TrySubmit(new TextureRequest(16, 16, 0, 2, 1, 0.75));
        g.InjectNoise(GlComputeSupport.TorchNoise(1, 16, 16));
        var (buffers, programs, textures, fences) = g.Objects();
        Assert.That(buffers, Has.Length.GreaterThanOrEqualTo(5));
        Assert.That(programs, Has.Length.GreaterThan(5));
        Assert.That(textures, Has.Length.EqualTo(3));
        Assert.That(buffers.All(b => gl.IsBuffer(b)) && programs.All(p => gl.IsProgram(p)) && textures.All(t => gl.IsTexture(t)), Is.True);
        g.Dispose();
        Assert.That(buffers.Where(b => gl.IsBuffer(b)), Is.Empty, "buffers left");
        Assert.That(programs.Where(p => gl.IsProgram(p)), Is.Empty, "programs left");
        Assert.That(textures.Where(t => gl.IsTexture(t)), Is.Empty, "textures left");
        Assert.That(fences.Where(f => gl.IsSync(f)), Is.Empty, "fences left");
        Assert.Throws<ObjectDisposedException>(() => g.TrySubmit(new TextureRequest(16, 16, 0, 1, 1, 0)));
        GlComputeSupport.AssertNoGlError(gl, "disposal");
    }

    [Test]
    public void BadRequestsAreClearErrors()
    {
        using var g = GlComputeSupport.Generator(gl, model);
        Assert.That(() => g.TrySubmit(new TextureRequest(15, 16, 0, 1, 1, 0)), Throws.ArgumentException.With.Message.Contains("multiple"));
        Assert.That(() => g.TrySubmit(new TextureRequest(16, 16, 3, 1, 1, 0)), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => g.TrySubmit(new TextureRequest(16, 16, 0, 3, 1, 0)), Throws.InstanceOf<ArgumentOutOfRangeException>());
        var other = Task.Run(() => Assert.Throws<InvalidOperationException>(() => g.Poll()));
        other.Wait();
    }

    [Test]
    public void SuitsOnlyAHardwareGpu()
    {
        Assert.That(GlComputeTextureGenerator.IsSoftwareRenderer("llvmpipe (LLVM 15.0.6, 256 bits)"), Is.True);
        Assert.That(GlComputeTextureGenerator.IsSoftwareRenderer("softpipe"), Is.True);
        Assert.That(GlComputeTextureGenerator.IsSoftwareRenderer("NVIDIA GeForce RTX 3060/PCIe/SSE2"), Is.False);
        Assert.That(GlComputeTextureGenerator.IsSoftwareRenderer("AMD Radeon RX 6600 (radeonsi, navi23, LLVM 15.0.6)"), Is.False);
        string renderer = gl.GetStringS(StringName.Renderer) ?? "";
        bool suits = GlComputeTextureGenerator.Suits(gl, out string reason);
        Assert.That(suits, Is.EqualTo(!GlComputeTextureGenerator.IsSoftwareRenderer(renderer)), reason);
        if (!suits) Assert.That(reason, Does.Contain(renderer));
    }

    [Test]
    public void CoefficientsEqualTheLibtorchPreconditioning()
    {
        foreach (var kind in new[] { ModelKind.Consistency, ModelKind.Teacher })
        {
            var metadata = TestModels.Metadata(kind);
            using var net = ModelFile.CreateModel(metadata);
            foreach (double sigma in new[] { 0.002, 0.01, 0.5, 2.5, 23.6, 80 })
            {
                using var torch = net.CoefficientsAt(sigma, ScalarType.Float64, CPU);
                var ours = SigmaCoefficients.At(metadata, sigma);
                Assert.That(ours.CIn, Is.EqualTo(torch.CIn.item<double>()).Within(1e-15), $"{kind} c_in at {sigma}");
                Assert.That(ours.CSkip, Is.EqualTo(torch.CSkip.item<double>()).Within(1e-15), $"{kind} c_skip at {sigma}");
                Assert.That(ours.COut, Is.EqualTo(torch.COut.item<double>()).Within(1e-15), $"{kind} c_out at {sigma}");
                Assert.That(ours.CNoise, Is.EqualTo(torch.CNoise.item<double>()).Within(1e-15), $"{kind} c_noise at {sigma}");
            }
        }
    }

    [Test]
    public void CostCountsTheConvolutionsOfTheDescription()
    {
        using var g = GlComputeSupport.Generator(gl, model);
        var (flops, bytes) = g.Cost(16, 16, 1);
        // Independent count from the description: 2·pixels·cout·cin·k² per convolution at its resolution.
        var description = Networks.Description.NetworkDescription.FromConfig(model.Metadata.Config);
        double expected = 0;
        foreach (var op in description.Ops.Where(o => o.Kind == Networks.Description.LayerOpKind.Conv2d))
        {
            var w = op.Parameters[0].Shape;
            expected += 2.0 * w[0] * w[1] * w[2] * w[3] * LevelPixels(description, op, 16, 16);
        }
        Assert.That(flops, Is.GreaterThan(expected).And.LessThan(expected * 1.5), "convolutions plus attention and the cheap ops");
        Assert.That(bytes, Is.GreaterThan(0));
        Assert.That(g.Cost(16, 16, 2).Flops, Is.EqualTo(2 * flops).Within(1e-6 * flops));
    }

    // Pixels at an op's resolution: tiny has no stem, one pool per level.
    private static double LevelPixels(Networks.Description.NetworkDescription d, Networks.Description.LayerOp op, int w, int h)
    {
        int level = 0;
        var levels = new Dictionary<string, int> { [Networks.Description.NetworkDescription.InputX] = 0 };
        foreach (var o in d.Ops)
        {
            int l = o.Inputs.Where(levels.ContainsKey).Select(i => levels[i]).DefaultIfEmpty(0).Max();
            l += o.Kind switch
            {
                Networks.Description.LayerOpKind.AvgPool2 or Networks.Description.LayerOpKind.PixelUnshuffle2 => 1,
                Networks.Description.LayerOpKind.UpsampleNearest2 or Networks.Description.LayerOpKind.PixelShuffle2 => -1,
                _ => 0,
            };
            levels[o.Output] = l;
            if (o == op) level = l;
        }
        return (double)(w >> level) * (h >> level);
    }
}
