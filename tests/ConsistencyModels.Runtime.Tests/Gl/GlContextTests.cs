using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Tests.Gl;

public class GlContextTests
{
    [Test]
    public void HeadlessContextOffersOpenGl45Core()
    {
        using var context = GlRequirement.Headless();
        context.GL.GetInteger(GetPName.MajorVersion, out int major);
        context.GL.GetInteger(GetPName.MinorVersion, out int minor);
        context.GL.GetInteger(GetPName.ContextProfileMask, out int profile);

        Assert.That(context.IsHeadless, Is.True);
        Assert.That(major * 10 + minor, Is.GreaterThanOrEqualTo(45));
        Assert.That(profile & 1, Is.EqualTo(1), "GL_CONTEXT_CORE_PROFILE_BIT");
        Assert.That(context.Description, Does.StartWith("OpenGL "));
    }

    [Test]
    public void TwoHeadlessContextsInSequenceBothWork()
    {
        using (var first = GlRequirement.Headless()) Assert.That(first.GL.GetError(), Is.EqualTo(GLEnum.NoError));
        using var second = GlRequirement.Headless();
        Assert.That(second.GL.GetStringS(StringName.Renderer), Is.Not.Empty);
    }

    [TestCase(HeadlessGlPlatform.Device, "via EGL device ")]
    [TestCase(HeadlessGlPlatform.Surfaceless, "via EGL surfaceless")]
    public void EachEglPlatformGivesACoreContextAndSaysWhichItIs(HeadlessGlPlatform platform, string route)
    {
        // Mesa (CI's llvmpipe) offers both: the device platform through its software device, the NVIDIA route.
        using var context = GlRequirement.Headless(platform);
        context.GL.GetInteger(GetPName.MajorVersion, out int major);
        context.GL.GetInteger(GetPName.MinorVersion, out int minor);
        Assert.That(major * 10 + minor, Is.GreaterThanOrEqualTo(45));
        Assert.That(context.Description, Does.Contain(route));
        Assert.That(context.GL.GetError(), Is.EqualTo(GLEnum.NoError));
    }

    [Test]
    public void DeviceAndSurfacelessContextsCoexistAndCloseInAnyOrder()
    {
        var device = GlRequirement.Headless(HeadlessGlPlatform.Device);
        var surfaceless = GlRequirement.Headless(HeadlessGlPlatform.Surfaceless);
        surfaceless.Dispose(); // a context is current on this thread until the next MakeCurrent: reuse the device one after
        device.Dispose();
        using var again = GlRequirement.Headless(HeadlessGlPlatform.Device);
        Assert.That(again.GL.GetStringS(StringName.Renderer), Is.Not.Empty);
    }

    [Test]
    public void AutoPrefersAHardwareDeviceThenSurfacelessThenSoftware()
    {
        var sw = EglRoute.Surfaceless;
        EglRoute Device(int i) => new(HeadlessGlPlatform.Device, i);
        // NVIDIA + Mesa's software device (a GPU machine with Mesa installed): the GPU first, never llvmpipe by accident.
        Assert.That(EglRoute.For(HeadlessGlPlatform.Auto, [true, false]), Is.EqualTo(new[] { Device(1), sw, Device(0) }));
        // Mesa only (CI): surfaceless first, as before, then the software device.
        Assert.That(EglRoute.For(HeadlessGlPlatform.Auto, [true]), Is.EqualTo(new[] { sw, Device(0) }));
        Assert.That(EglRoute.For(HeadlessGlPlatform.Auto, []), Is.EqualTo(new[] { sw }));
        Assert.That(EglRoute.For(HeadlessGlPlatform.Device, [true, false, false]), Is.EqualTo(new[] { Device(1), Device(2), Device(0) }));
        Assert.That(EglRoute.For(HeadlessGlPlatform.Device, []), Is.Empty);
        Assert.That(EglRoute.For(HeadlessGlPlatform.Surfaceless, [false]), Is.EqualTo(new[] { sw }));
    }

    [Test]
    public void TheEnvironmentVariableOverridesOnlyAuto()
    {
        Assert.That(EglRoute.Resolve(HeadlessGlPlatform.Auto, "device"), Is.EqualTo(HeadlessGlPlatform.Device));
        Assert.That(EglRoute.Resolve(HeadlessGlPlatform.Auto, " surfaceless "), Is.EqualTo(HeadlessGlPlatform.Surfaceless));
        Assert.That(EglRoute.Resolve(HeadlessGlPlatform.Auto, ""), Is.EqualTo(HeadlessGlPlatform.Auto));
        Assert.That(EglRoute.Resolve(HeadlessGlPlatform.Auto, null), Is.EqualTo(HeadlessGlPlatform.Auto));
        Assert.That(EglRoute.Resolve(HeadlessGlPlatform.Surfaceless, "device"), Is.EqualTo(HeadlessGlPlatform.Surfaceless), "an explicit choice wins");
        var e = Assert.Throws<GlUnavailableException>(() => EglRoute.Resolve(HeadlessGlPlatform.Auto, "wayland"))!;
        Assert.That(e.Message, Is.EqualTo("CM_EGL_PLATFORM=wayland: expected auto, device or surfaceless."));
    }

    [Test]
    public void WindowWithoutDisplayFailsWithGlUnavailableException()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
            Assert.Ignore("a display is set; this test checks the no-display fallback signal");
        var e = Assert.Throws<GlUnavailableException>(() => GlContext.CreateWindow(64, 64, "test", visible: false));
        Assert.That(e!.Message, Does.Contain("GLFW").Or.Contain("glfw"));
    }
}
