using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime;

/// <summary>
/// Puts generated textures into GL textures the renderer can sample. Upload path: planar float [3,H,W]
/// → pixel unpack buffer (orphaned each frame so the driver never stalls on the previous upload) →
/// glTexSubImage2D into an R32F "planar" texture of W × 3H → compute shader
/// (shaders/planar_to_rgba.comp.glsl: rgb = clamp(v·0.5+0.5, 0, 1), a = 1) → one of three output
/// textures (RGBA8 or RGBA16F). The three outputs rotate so the texture drawn last frame is never the one
/// being written. Texture row 0 is the image's top row. Create, use and dispose on the GL context's thread;
/// the generation thread only touches CPU-side <see cref="TextureFrame"/>s (see <see cref="Update"/>).
/// </summary>
public sealed unsafe class GlTextureSink : IDisposable
{
    private const int GroupSize = 8; // local_size_x/y of the compute shader
    private readonly GL gl;
    private readonly int ownerThread = Environment.CurrentManagedThreadId;
    private readonly uint[] outputs = new uint[3];
    private uint program;

    /// <summary>GL name of the compute program (tests check it is deleted).</summary>
    internal uint Program => program;
    private int sizeLocation;
    private uint pixelBuffer;
    private uint planarTexture;
    private int current = -1;
    private long lastSequence;
    private bool disposed;

    /// <summary>Creates the GL objects for textures of the given size (on the context's thread).</summary>
    /// <param name="gl">The current context's GL.</param>
    /// <param name="width">Texture width, ≥ 1.</param>
    /// <param name="height">Texture height, ≥ 1.</param>
    /// <param name="format">Output storage format.</param>
    public GlTextureSink(GL gl, int width, int height, TexturePixelFormat format = TexturePixelFormat.Rgba8)
    {
        ArgumentNullException.ThrowIfNull(gl);
        CheckSize(width, height);
        this.gl = gl;
        Format = format;
        var source = EmbeddedShaders.WithDefines(EmbeddedShaders.Read(EmbeddedShaders.PlanarToRgba),
            ("OUTPUT_FORMAT", format == TexturePixelFormat.Rgba8 ? "rgba8" : "rgba16f"));
        program = ShaderProgram.Compute(gl, EmbeddedShaders.PlanarToRgba, source);
        sizeLocation = gl.GetUniformLocation(program, "size");
        pixelBuffer = gl.GenBuffer();
        Allocate(width, height);
    }

    /// <summary>Current texture width in pixels.</summary>
    public int Width { get; private set; }

    /// <summary>Current texture height in pixels.</summary>
    public int Height { get; private set; }

    /// <summary>Output storage format.</summary>
    public TexturePixelFormat Format { get; }

    /// <summary>The GL name of the newest converted texture (0 before the first upload). Bind this to draw.</summary>
    public uint CurrentTexture => current < 0 ? 0 : outputs[current];

    /// <summary>GL names of the three rotating output textures (change on resize).</summary>
    public IReadOnlyList<uint> Textures => outputs;

    /// <summary>GL name of the pixel unpack buffer.</summary>
    public uint PixelBuffer => pixelBuffer;

    /// <summary>GL name of the R32F planar staging texture (W × 3H); the CUDA interop path writes here.</summary>
    public uint PlanarTexture => planarTexture;

    /// <summary>Increments whenever the GL textures are recreated (resize), so interop registrations can follow.</summary>
    public int Generation { get; private set; }

    /// <summary>Textures uploaded and converted so far.</summary>
    public long FramesUploaded { get; private set; }

    /// <summary>Sequence number of the newest <see cref="TextureFrame"/> taken by <see cref="Update"/>.</summary>
    public long LastSequence => lastSequence;

    /// <summary>
    /// At frame start on the render thread: takes the newest finished frame from the handoff without
    /// waiting and uploads it if it is new. Returns true when <see cref="CurrentTexture"/> changed.
    /// </summary>
    public bool Update(TripleBuffer<TextureFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (!frames.TryAcquire(out var frame) || frame.Sequence == lastSequence || frame.Width == 0)
            return false;
        lastSequence = frame.Sequence;
        Upload(frame.Pixels, frame.Width, frame.Height);
        return true;
    }

    /// <summary>Uploads one planar [3, height, width] texture in [-1, 1] and converts it; resizes first if the size changed.</summary>
    /// <exception cref="ArgumentException">The span is shorter than 3·width·height.</exception>
    public void Upload(ReadOnlySpan<float> planar, int width, int height)
    {
        VerifyThread();
        CheckSize(width, height);
        var count = 3 * width * height;
        if (planar.Length < count)
            throw new ArgumentException($"planar data must hold 3×{height}×{width} = {count} floats, got {planar.Length}.", nameof(planar));
        EnsureSize(width, height);

        var bytes = (nuint)(count * sizeof(float));
        gl.BindBuffer(BufferTargetARB.PixelUnpackBuffer, pixelBuffer);
        // Orphan: the driver hands out fresh storage if the previous upload is still in flight.
        gl.BufferData(BufferTargetARB.PixelUnpackBuffer, bytes, null, BufferUsageARB.StreamDraw);
        fixed (float* p = planar) gl.BufferSubData(BufferTargetARB.PixelUnpackBuffer, 0, bytes, p);
        gl.PixelStore(PixelStoreParameter.UnpackAlignment, 4);
        gl.PixelStore(PixelStoreParameter.UnpackRowLength, 0);
        gl.BindTexture(TextureTarget.Texture2D, planarTexture);
        gl.TexSubImage2D(TextureTarget.Texture2D, 0, 0, 0, (uint)width, (uint)(3 * height), PixelFormat.Red, PixelType.Float, null);
        gl.BindTexture(TextureTarget.Texture2D, 0);
        gl.BindBuffer(BufferTargetARB.PixelUnpackBuffer, 0);
        ConvertPlanar();
    }

    /// <summary>
    /// Runs the planar→RGBA compute shader on whatever <see cref="PlanarTexture"/> holds into the next output
    /// texture and makes it current. <see cref="Upload"/> calls it; the CUDA path calls it after its copy.
    /// </summary>
    public void ConvertPlanar()
    {
        VerifyThread();
        var next = (current + 1) % 3;
        gl.UseProgram(program);
        gl.Uniform2(sizeLocation, Width, Height);
        gl.ActiveTexture(TextureUnit.Texture0);
        gl.BindTexture(TextureTarget.Texture2D, planarTexture);
        gl.BindImageTexture(0, outputs[next], 0, false, 0, BufferAccessARB.WriteOnly,
            Format == TexturePixelFormat.Rgba8 ? InternalFormat.Rgba8 : InternalFormat.Rgba16f);
        gl.DispatchCompute((uint)((Width + GroupSize - 1) / GroupSize), (uint)((Height + GroupSize - 1) / GroupSize), 1);
        // Later sampling, image access and readback must see the compute writes.
        gl.MemoryBarrier(MemoryBarrierMask.TextureFetchBarrierBit | MemoryBarrierMask.ShaderImageAccessBarrierBit
            | MemoryBarrierMask.TextureUpdateBarrierBit | MemoryBarrierMask.FramebufferBarrierBit);
        gl.BindTexture(TextureTarget.Texture2D, 0);
        gl.UseProgram(0);
        current = next;
        FramesUploaded++;
    }

    /// <summary>Reads the current texture back as RGBA floats in [0, 1] (Width·Height·4 values, row 0 first). For tests and screenshots.</summary>
    public void ReadCurrent(Span<float> rgba)
    {
        VerifyThread();
        var count = 4 * Width * Height;
        if (rgba.Length < count)
            throw new ArgumentException($"destination must hold 4×{Width}×{Height} = {count} floats, got {rgba.Length}.", nameof(rgba));
        if (current < 0) throw new InvalidOperationException("no texture has been uploaded yet.");
        gl.PixelStore(PixelStoreParameter.PackAlignment, 4);
        fixed (float* p = rgba)
            gl.GetTextureImage(outputs[current], 0, PixelFormat.Rgba, PixelType.Float, (uint)(count * sizeof(float)), p);
    }

    /// <summary>Reads the current texture back as RGBA bytes (Width·Height·4, row 0 first), e.g. for PNGs.</summary>
    public void ReadCurrent(Span<byte> rgba)
    {
        VerifyThread();
        var count = 4 * Width * Height;
        if (rgba.Length < count)
            throw new ArgumentException($"destination must hold 4×{Width}×{Height} = {count} bytes, got {rgba.Length}.", nameof(rgba));
        if (current < 0) throw new InvalidOperationException("no texture has been uploaded yet.");
        gl.PixelStore(PixelStoreParameter.PackAlignment, 4);
        fixed (byte* p = rgba)
            gl.GetTextureImage(outputs[current], 0, PixelFormat.Rgba, PixelType.UnsignedByte, (uint)count, p);
    }

    /// <summary>Reallocates the textures when the size differs (new GL names, <see cref="Generation"/> increments); a no-op otherwise.</summary>
    public void EnsureSize(int width, int height)
    {
        VerifyThread();
        CheckSize(width, height);
        if (width == Width && height == Height) return;
        DeleteTextures();
        Allocate(width, height);
    }

    private void Allocate(int width, int height)
    {
        Width = width;
        Height = height;
        planarTexture = CreateTexture(SizedInternalFormat.R32f, width, 3 * height, TextureMinFilter.Nearest, TextureMagFilter.Nearest);
        var storage = Format == TexturePixelFormat.Rgba8 ? SizedInternalFormat.Rgba8 : SizedInternalFormat.Rgba16f;
        for (var i = 0; i < 3; i++)
            outputs[i] = CreateTexture(storage, width, height, TextureMinFilter.Linear, TextureMagFilter.Linear);
        current = -1;
        Generation++;
    }

    private uint CreateTexture(SizedInternalFormat format, int width, int height, TextureMinFilter min, TextureMagFilter mag)
    {
        var texture = gl.GenTexture();
        gl.BindTexture(TextureTarget.Texture2D, texture);
        gl.TexStorage2D(TextureTarget.Texture2D, 1, format, (uint)width, (uint)height);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, (int)min);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, (int)mag);
        // Repeat: generated textures are seamless and meant to tile.
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapS, (int)TextureWrapMode.Repeat);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapT, (int)TextureWrapMode.Repeat);
        gl.BindTexture(TextureTarget.Texture2D, 0);
        return texture;
    }

    private void DeleteTextures()
    {
        gl.DeleteTexture(planarTexture);
        planarTexture = 0;
        for (var i = 0; i < 3; i++)
        {
            gl.DeleteTexture(outputs[i]);
            outputs[i] = 0;
        }
        current = -1;
    }

    private static void CheckSize(int width, int height)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"texture size must be at least 1×1, got {width}×{height}.");
    }

    private void VerifyThread()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Environment.CurrentManagedThreadId != ownerThread)
            throw new InvalidOperationException($"GlTextureSink must be used on the GL context's thread (thread {ownerThread}), not thread {Environment.CurrentManagedThreadId}.");
    }

    /// <summary>Deletes every GL object; must run on the context's thread while the context is current.</summary>
    /// <exception cref="InvalidOperationException">Called from another thread (GL objects cannot be deleted there).</exception>
    public void Dispose()
    {
        if (disposed) return;
        VerifyThread();
        DeleteTextures();
        gl.DeleteBuffer(pixelBuffer);
        gl.DeleteProgram(program);
        pixelBuffer = 0;
        program = 0;
        disposed = true;
    }
}
