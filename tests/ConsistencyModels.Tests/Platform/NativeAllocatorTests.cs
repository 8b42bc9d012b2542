using ConsistencyModels.Platform;

namespace ConsistencyModels.Tests.Platform;

public class NativeAllocatorTests
{
    [Test]
    public void GlibcAcceptsTheTuningOnLinuxAndItIsAppliedOnce()
    {
        bool applied = NativeAllocator.KeepFreedBuffers();
        if (OperatingSystem.IsLinux())
            Assert.That(applied, Is.True, "glibc's mallopt accepts a 32 MiB mmap threshold and a 256 MiB trim threshold");
        else
            Assert.That(applied, Is.False);
        Assert.That(NativeAllocator.KeepFreedBuffers(), Is.EqualTo(applied), "idempotent");
    }
}
