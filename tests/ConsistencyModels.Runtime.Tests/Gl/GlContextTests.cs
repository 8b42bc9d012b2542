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

    [Test]
    public void WindowWithoutDisplayFailsWithGlUnavailableException()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DISPLAY")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WAYLAND_DISPLAY")))
            Assert.Ignore("a display is set; this test checks the no-display fallback signal");
        var e = Assert.Throws<GlUnavailableException>(() => GlContext.CreateWindow(64, 64, "test", visible: false));
        Assert.That(e!.Message, Does.Contain("GLFW").Or.Contain("glfw"));
    }
}
