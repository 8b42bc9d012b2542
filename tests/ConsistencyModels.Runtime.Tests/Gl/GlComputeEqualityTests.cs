using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>
/// The GL compute backend against the libtorch path on the same noise (libtorch's, injected): TextureGenerator in
/// float32 and the backend's clamped planar result agree within 1e-4 for the default model and the presets (random
/// weights), several sizes (non-square too), classes, seeds, 1 and 2 steps and a fractional animation phase.
/// </summary>
public class GlComputeEqualityTests : HeadlessGlFixture
{
    private const double Tolerance = 1e-4;

    private static IEnumerable<TestCaseData> Presets()
    {
        // Sizes small enough for llvmpipe on two cores; each preset gets a non-square size.
        yield return new TestCaseData("tiny", UNetConfig.Tiny with { ClassCount = 3 }, new[] { (16, 16), (24, 8) }).SetName("Tiny with attention");
        yield return new TestCaseData("small", UNetConfig.Small with { ClassCount = 3 }, new[] { (16, 32) }).SetName("Small (default shape)");
        yield return new TestCaseData("base", UNetConfig.Base with { ClassCount = 3 }, new[] { (16, 8) }).SetName("Base with attention");
        // Dropout is an op of the description when the configuration has it: the identity at inference on both paths.
        yield return new TestCaseData("dropout", UNetConfig.Tiny with { Dropout = 0.2, AttentionLevels = [] }, new[] { (8, 8) }).SetName("Tiny with dropout (identity at inference)");
        // Odd widths (6, 18: output blocks of 4 half-used), zero padding, Fourier embedding, no classes.
        yield return new TestCaseData("odd", new UNetConfig
        {
            BaseChannels = 6, ChannelMultipliers = [1, 3], ResBlocksPerLevel = 1, AttentionLevels = [1], PixelUnshuffleStem = false,
            CircularPadding = false, NoiseEmbedding = NoiseEmbeddingKind.Fourier,
        }, new[] { (10, 6) }).SetName("Odd channels, zero padding, Fourier, unconditional");
    }

    [TestCaseSource(nameof(Presets))]
    public void PresetEqualsLibtorch(string name, UNetConfig config, (int W, int H)[] sizes)
    {
        var path = TestModels.Save(directory, TestModels.Metadata(config: config), seed: 5, name: name + ".safetensors");
        using var model = ModelFile.Load(path, CPU);
        using var torchPath = new TextureGenerator(model, ownsModel: false, name, NetworkPrecision.Float32);
        using var glPath = GlComputeSupport.Generator(gl, model);
        int classes = config.ClassCount;
        int k = 0;
        foreach (var (w, h) in sizes)
            foreach (int steps in new[] { 1, 2 })
            {
                var request = new TextureRequest(w, h, classes == 0 ? 0 : k % classes, steps, 40 + (ulong)k, k % 2 == 0 ? 0 : 0.375);
                Compare(torchPath, glPath, request);
                k++;
            }
        GlComputeSupport.AssertNoGlError(gl, "generation");
    }

    [Test]
    public void DefaultModelEqualsLibtorch()
    {
        using var stream = TextureGenerator.OpenDefaultModel();
        using var model = ModelFile.Load(stream, "default model", CPU);
        using var torchPath = new TextureGenerator(model, ownsModel: false, "default", NetworkPrecision.Float32);
        using var glPath = GlComputeSupport.Generator(gl, model);
        // Square and non-square sizes in units of the network's downsampling (8 for v1, 16 for v2's fourth level).
        int f = model.Metadata.Config.DownsamplingFactor;
        Compare(torchPath, glPath, new TextureRequest(2 * f, 2 * f, 14, 1, 7, 0));
        Compare(torchPath, glPath, new TextureRequest(3 * f, f, 3, 2, 8, 0));
        Compare(torchPath, glPath, new TextureRequest(f, 2 * f, 29, 2, 9, 2.25));
        GlComputeSupport.AssertNoGlError(gl, "generation");
    }

    private void Compare(TextureGenerator torchPath, GlComputeTextureGenerator glPath, TextureRequest request)
    {
        var expected = new float[request.PlanarLength];
        torchPath.Generate(request, expected);
        ulong seedA = unchecked(request.Seed + (ulong)(long)Math.Floor(request.Phase));
        glPath.InjectNoise(GlComputeSupport.TorchNoise(seedA, request.Width, request.Height));
        using var texture = new TestTexture(gl, request.Width, request.Height);
        glPath.Generate(request, texture.Name);
        var actual = new float[request.PlanarLength];
        glPath.ReadResult(actual);
        double worst = GlComputeSupport.MaxAbsDifference(expected, actual);
        Assert.That(worst, Is.LessThanOrEqualTo(Tolerance), $"{request}: max |GL − libtorch|");
        // Not vacuous: the texture is not flat.
        Assert.That(expected.Max() - expected.Min(), Is.GreaterThan(0.05), "the texture varies");
    }
}

/// <summary>An RGBA8 texture with immutable storage for tests.</summary>
internal sealed class TestTexture : IDisposable
{
    private readonly GL gl;

    public TestTexture(GL gl, int width, int height, SizedInternalFormat format = SizedInternalFormat.Rgba8)
    {
        this.gl = gl;
        Name = gl.GenTexture();
        gl.BindTexture(TextureTarget.Texture2D, Name);
        gl.TexStorage2D(TextureTarget.Texture2D, 1, format, (uint)width, (uint)height);
        gl.BindTexture(TextureTarget.Texture2D, 0);
    }

    public uint Name { get; }

    public void Dispose() => gl.DeleteTexture(Name);
}
