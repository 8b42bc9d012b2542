using System.Numerics;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace TextureViewer;

/// <summary>Draws the texture tiled 3×3 on a tilted plane that spins about its normal (shaders/tiled_plane.*.glsl).</summary>
internal sealed unsafe class PlaneRenderer : IDisposable
{
    private readonly GL gl;
    private readonly uint program, vao, vbo;
    private readonly int mvpLocation, repeatLocation;

    public PlaneRenderer(GL gl)
    {
        this.gl = gl;
        program = ShaderProgram.Graphics(gl, "tiled_plane",
            EmbeddedShaders.Read(EmbeddedShaders.TiledPlaneVertex), EmbeddedShaders.Read(EmbeddedShaders.TiledPlaneFragment));
        mvpLocation = gl.GetUniformLocation(program, "mvp");
        repeatLocation = gl.GetUniformLocation(program, "repeatCount");
        vao = gl.GenVertexArray();
        vbo = gl.GenBuffer();
        gl.BindVertexArray(vao);
        gl.BindBuffer(BufferTargetARB.ArrayBuffer, vbo);
        ReadOnlySpan<float> corners = [-1, -1, 1, -1, -1, 1, 1, 1];
        fixed (float* p = corners) gl.BufferData(BufferTargetARB.ArrayBuffer, (nuint)(corners.Length * sizeof(float)), p, BufferUsageARB.StaticDraw);
        gl.EnableVertexAttribArray(0);
        gl.VertexAttribPointer(0, 2, VertexAttribPointerType.Float, false, 2 * sizeof(float), null);
        gl.BindVertexArray(0);
    }

    /// <summary>Clears and draws one frame into the bound framebuffer.</summary>
    public void Draw(uint texture, int viewportWidth, int viewportHeight, double seconds)
    {
        gl.Viewport(0, 0, (uint)viewportWidth, (uint)viewportHeight);
        gl.ClearColor(0.08f, 0.09f, 0.11f, 1f);
        gl.Clear(ClearBufferMask.ColorBufferBit);
        if (texture == 0) return;

        // Row-vector convention of System.Numerics: v·model·view·projection; GLSL sees the transpose,
        // so `mvp * v` in the shader computes the same product.
        var model = Matrix4x4.CreateScale(1.45f) * Matrix4x4.CreateRotationZ((float)(seconds * 0.35))
                    * Matrix4x4.CreateRotationX(-0.75f);
        var view = Matrix4x4.CreateTranslation(0, 0.1f, -2.9f);
        var projection = Matrix4x4.CreatePerspectiveFieldOfView(MathF.PI / 3, viewportWidth / (float)viewportHeight, 0.1f, 20f);
        var mvp = model * view * projection;

        gl.UseProgram(program);
        gl.UniformMatrix4(mvpLocation, 1, false, (float*)&mvp);
        gl.Uniform1(repeatLocation, 3f);
        gl.ActiveTexture(TextureUnit.Texture0);
        gl.BindTexture(TextureTarget.Texture2D, texture);
        gl.BindVertexArray(vao);
        gl.DrawArrays(PrimitiveType.TriangleStrip, 0, 4);
        gl.BindVertexArray(0);
        gl.BindTexture(TextureTarget.Texture2D, 0);
        gl.UseProgram(0);
    }

    /// <summary>Reads the bound read framebuffer as RGBA8 with row 0 at the top.</summary>
    public byte[] ReadPixels(int width, int height)
    {
        var rgba = new byte[4 * width * height];
        ReadPixels(rgba, width, height);
        return rgba;
    }

    /// <summary>Reads the bound read framebuffer into <paramref name="rgba"/> (4·width·height bytes, row 0 at the top), allocating nothing.</summary>
    public void ReadPixels(Span<byte> rgba, int width, int height)
    {
        var count = 4 * width * height;
        if (rgba.Length < count) throw new ArgumentException($"the destination needs {count} bytes, got {rgba.Length}.", nameof(rgba));
        gl.PixelStore(PixelStoreParameter.PackAlignment, 4);
        fixed (byte* p = rgba) gl.ReadPixels(0, 0, (uint)width, (uint)height, PixelFormat.Rgba, PixelType.UnsignedByte, p);
        Png.FlipRows(rgba[..count], width, height);
    }

    public void Dispose()
    {
        gl.DeleteVertexArray(vao);
        gl.DeleteBuffer(vbo);
        gl.DeleteProgram(program);
    }
}
