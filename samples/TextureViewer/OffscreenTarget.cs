using Silk.NET.OpenGL;

namespace TextureViewer;

/// <summary>An RGBA8 framebuffer object for headless rendering.</summary>
internal sealed class OffscreenTarget : IDisposable
{
    private readonly GL gl;
    private readonly uint framebuffer, color;

    public OffscreenTarget(GL gl, int width, int height)
    {
        this.gl = gl;
        Width = width;
        Height = height;
        color = gl.GenRenderbuffer();
        gl.BindRenderbuffer(RenderbufferTarget.Renderbuffer, color);
        gl.RenderbufferStorage(RenderbufferTarget.Renderbuffer, InternalFormat.Rgba8, (uint)width, (uint)height);
        framebuffer = gl.GenFramebuffer();
        gl.BindFramebuffer(FramebufferTarget.Framebuffer, framebuffer);
        gl.FramebufferRenderbuffer(FramebufferTarget.Framebuffer, FramebufferAttachment.ColorAttachment0, RenderbufferTarget.Renderbuffer, color);
        var status = gl.CheckFramebufferStatus(FramebufferTarget.Framebuffer);
        if (status != GLEnum.FramebufferComplete)
            throw new InvalidOperationException($"offscreen framebuffer incomplete: {status}.");
    }

    public int Width { get; }
    public int Height { get; }

    public void Bind() => gl.BindFramebuffer(FramebufferTarget.Framebuffer, framebuffer);

    public void Dispose()
    {
        gl.BindFramebuffer(FramebufferTarget.Framebuffer, 0);
        gl.DeleteFramebuffer(framebuffer);
        gl.DeleteRenderbuffer(color);
    }
}
