using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Runtime;
using ConsistencyModels.Runtime.Onnx;
using static ConsistencyModels.Onnx.Tests.OnnxTestSupport;
using static TorchSharp.torch;
using ModelMetadata = ConsistencyModels.IO.ModelMetadata;

namespace ConsistencyModels.Onnx.Tests;

/// <summary>The ONNX Runtime backend gives TextureGenerator's textures (float32) for the same requests.</summary>
[TestFixture]
public sealed class OnnxTextureSourceTests
{
    private static readonly TextureRequest[] Requests =
    [
        new(32, 32, 3, 1, 7, 0),
        new(48, 32, 29, 2, 8, 0),
        new(32, 48, 0, 2, 9, 0.4),   // slerp between seeds 9 and 10
        new(16, 16, 12, 1, 9, 1.75),
    ];

    private static void AssertSameTextures(LoadedModel model, OnnxTextureSource onnx)
    {
        using var torchSource = new TextureGenerator(model, ownsModel: false, precision: NetworkPrecision.Float32) { Threads = 1 };
        Assert.That(onnx.ClassNames, Is.EqualTo(torchSource.ClassNames));
        foreach (var request in Requests.Select(r => r with { ClassIndex = Math.Min(r.ClassIndex, Math.Max(0, torchSource.ClassNames.Count - 1)) }))
        {
            var expected = new float[request.PlanarLength];
            var actual = new float[request.PlanarLength];
            torchSource.Generate(request, expected);
            onnx.Generate(request, actual);
            double error = MaxAbsDifference(actual, expected);
            TestContext.Out.WriteLine($"{request}: max |ORT - libtorch| = {error:g3}");
            Assert.That(error, Is.LessThanOrEqualTo(1e-4), request.ToString());
            Assert.That(actual.Distinct().Count(), Is.GreaterThan(100), "a real texture, not a constant");
        }
    }

    [Test]
    public void DefaultModelGivesTheRuntimesTextures()
    {
        using var model = ModelFile.Load(DefaultModelPath, CPU);
        using var onnx = new OnnxTextureSource(ModelExport.Build(model).Bytes, "default");
        AssertSameTextures(model, onnx);
    }

    [Test]
    public void FewStepDenoiserGivesTheRuntimesEulerTextures()
    {
        var metadata = new ModelMetadata
        {
            Kind = ModelKind.Teacher,
            Config = UNetConfig.Tiny with { ClassCount = 2, PixelUnshuffleStem = true },
            ClassNames = ["a", "b"],
            Method = ConsistencyModels.Training.TrainingMethod.Rectified,
        };
        using var model = RandomModel(metadata, seed: 8);
        using var onnx = new OnnxTextureSource(ModelExport.Build(model).Bytes, "rectified");
        Assert.That(onnx.Plan.Sampler, Is.EqualTo("euler"));
        AssertSameTextures(model, onnx);
    }

    [Test]
    public void SteadyStateFramesAllocateNothing()
    {
        using var onnx = OnnxTextureSource.LoadDefault();
        var request = new TextureRequest(32, 32, 1, 2, 3, 0);
        var destination = new float[request.PlanarLength];
        for (int i = 0; i < 5; i++) onnx.Generate(request with { Phase = i / 60.0 }, destination);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 5; i < 25; i++) onnx.Generate(request with { Phase = i / 60.0 }, destination);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.EqualTo(0));
    }

    [Test]
    public void BadRequestsAndFilesAreRefused()
    {
        using var onnx = OnnxTextureSource.LoadDefault();
        Assert.Throws<ArgumentException>(() => onnx.Generate(new TextureRequest(20, 16, 0, 1, 1, 0), new float[3 * 20 * 16]), "20 is not a multiple of 8");
        Assert.Throws<ArgumentOutOfRangeException>(() => onnx.Generate(new TextureRequest(16, 16, 30, 1, 1, 0), new float[768]), "class 30 of 30");
        Assert.Throws<ArgumentException>(() => onnx.Generate(new TextureRequest(16, 16, 0, 1, 1, 0), new float[10]));
        Assert.Throws<Google.Protobuf.InvalidProtocolBufferException>(() => _ = new OnnxTextureSource([1, 2, 3, 4, 5]));
    }
}
