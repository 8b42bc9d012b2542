using ConsistencyModels.Runtime.Cuda;

namespace ConsistencyModels.Runtime.Tests.Cuda;

public class CudaGlTextureBridgeTests
{
    [Test]
    public void ProbeReportsAReasonWhenCudaIsAbsent()
    {
        var available = CudaRuntime.TryLoad(out var cuda, out var reason);
        if (available)
            Assert.That(cuda!.DeviceCount, Is.GreaterThan(0));
        else
            Assert.That(reason, Is.Not.Empty);
    }

    [Test]
    public void BridgeRegistersTheSinkTexture()
    {
        if (!CudaRuntime.TryLoad(out var cuda, out var reason))
            Assert.Ignore($"CUDA interop not testable here: {reason}");
        using var context = GlRequirement.Headless();
        using var sink = new GlTextureSink(context.GL, 8, 8);
        using var bridge = new CudaGlTextureBridge(cuda!, sink);
        // Copying needs a device buffer; without a CUDA allocator binding here, check the null-pointer guard.
        Assert.Throws<ArgumentException>(() => bridge.Upload(IntPtr.Zero, 8, 8));
    }
}
