using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime;

/// <summary>
/// Puts generated textures into GL textures the renderer can sample, in three rotating output textures so the one drawn
/// last frame is never the one being written. Two conversion paths (<see cref="GlConversionPath"/>, chosen from the
/// context unless forced): <b>compute</b> (desktop GL 4.3+): planar float [3,H,W] → pixel unpack buffer (orphaned each
/// frame) → glTexSubImage3D into an R32F 2D array texture of W × H × 3 layers → compute shader
/// (shaders/planar_to_rgba.comp.glsl) → imageStore; <b>CPU</b> (GL 3.3, macOS's 4.1, GLES 3): the same mapping into a
/// preallocated RGBA buffer, then glTexSubImage2D. Both map e = clamp(v·0.5 + 0.5, 0, 1), a = 1, stored as
/// <see cref="GlTextureSinkOptions.ColorSpace"/> says (the network's output is display-referred sRGB), optionally with a
/// full mip chain regenerated after each upload. Sizes are checked against GL_MAX_TEXTURE_SIZE up front (a clear
/// exception instead of a wrong texture). <see cref="CurrentTexture"/> is valid from construction: a mid-grey placeholder
/// (v = 0) until the first upload (<see cref="HasFrame"/>). Texture row 0 is the image's top row. Create, use and dispose
/// on the GL context's thread; the generation thread only touches CPU-side <see cref="TextureFrame"/>s (see
/// <see cref="Update"/>). A steady-state frame allocates no managed memory on either path.
/// </summary>
public sealed unsafe class GlTextureSink : IDisposable
{
    private const int GroupSize = 8; // local_size_x/y of the compute shader
    private readonly GL gl;
    private readonly int ownerThread = Environment.CurrentManagedThreadId;
    private readonly uint[] outputs = new uint[3];
    private readonly uint[] views = new uint[3];   // RGBA8 views of sRGB outputs, for imageStore (compute path)
    private readonly bool linearValues;             // store the sRGB-decoded values
    private readonly bool srgbStorage;              // GL_SRGB8_ALPHA8
    private uint program;
    private int sizeLocation;
    private uint pixelBuffer;
    private uint planarTexture;
    private byte[] cpuBytes = [];   // CPU path, RGBA8
    private float[] cpuFloats = []; // CPU path, RGBA16F
    private int levels = 1;
    private int current = -1;
    private long lastSequence;
    private bool disposed;

    /// <summary>GL name of the compute program, 0 on the CPU path (tests check it is deleted).</summary>
    internal uint Program => program;

    /// <summary>Creates the GL objects for textures of the given size (on the context's thread): RGBA8 or RGBA16F holding
    /// the sRGB-encoded values, one mip level, conversion path chosen automatically.</summary>
    /// <param name="gl">The current context's GL.</param>
    /// <param name="width">Texture width, ≥ 1.</param>
    /// <param name="height">Texture height, ≥ 1.</param>
    /// <param name="format">Output storage format.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is below 1 or beyond the context's GL_MAX_TEXTURE_SIZE.</exception>
    public GlTextureSink(GL gl, int width, int height, TexturePixelFormat format = TexturePixelFormat.Rgba8)
        : this(gl, width, height, new GlTextureSinkOptions { Format = format })
    {
    }

    /// <summary>Creates the GL objects for textures of the given size with <paramref name="options"/> (on the context's thread).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is below 1 or beyond the context's GL_MAX_TEXTURE_SIZE.</exception>
    /// <exception cref="NotSupportedException">The compute path was forced on a context without compute shaders (GL &lt; 4.3 or GLES).</exception>
    public GlTextureSink(GL gl, int width, int height, GlTextureSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(gl);
        ArgumentNullException.ThrowIfNull(options);
        this.gl = gl;
        Options = options;
        Capabilities = GlCapabilities.Query(gl);
        CheckSize(width, height);
        Path = options.Path switch
        {
            GlConversionPath.Auto => Capabilities.HasComputeConversion ? GlConversionPath.Compute : GlConversionPath.Cpu,
            GlConversionPath.Compute when !Capabilities.HasComputeConversion => throw new NotSupportedException(
                $"GlTextureSink: the compute path needs desktop OpenGL 4.3 or newer (compute shaders, texture views); this context is '{Capabilities.Version}'. Use GlConversionPath.Auto or Cpu."),
            var p => p,
        };
        srgbStorage = options.ColorSpace == TextureColorSpace.Srgb && Format == TexturePixelFormat.Rgba8;
        linearValues = options.ColorSpace == TextureColorSpace.Linear
            || (options.ColorSpace == TextureColorSpace.Srgb && Format == TexturePixelFormat.Rgba16F);
        if (Path == GlConversionPath.Compute)
        {
            var source = EmbeddedShaders.WithDefines(EmbeddedShaders.Read(EmbeddedShaders.PlanarToRgba),
                ("OUTPUT_FORMAT", Format == TexturePixelFormat.Rgba8 ? "rgba8" : "rgba16f"), ("LINEAR_OUTPUT", linearValues ? "1" : "0"));
            program = ShaderProgram.Compute(gl, EmbeddedShaders.PlanarToRgba, source);
            sizeLocation = gl.GetUniformLocation(program, "size");
            pixelBuffer = gl.GenBuffer();
        }
        Allocate(width, height);
    }

    /// <summary>The options the sink was made with.</summary>
    public GlTextureSinkOptions Options { get; }

    /// <summary>The conversion path in use (resolved: <see cref="GlConversionPath.Compute"/> or <see cref="GlConversionPath.Cpu"/>).</summary>
    public GlConversionPath Path { get; }

    /// <summary>The context's version and limits, as queried at construction.</summary>
    public GlCapabilities Capabilities { get; }

    /// <summary>Current texture width in pixels.</summary>
    public int Width { get; private set; }

    /// <summary>Current texture height in pixels.</summary>
    public int Height { get; private set; }

    /// <summary>Output storage format.</summary>
    public TexturePixelFormat Format => Options.Format;

    /// <summary>Mip levels of each output texture (1 without <see cref="GlTextureSinkOptions.Mipmaps"/>).</summary>
    public int MipLevels => levels;

    /// <summary>The GL name of the newest converted texture; never 0: before the first upload (and after a resize) it is a
    /// mid-grey placeholder of the current size (<see cref="HasFrame"/> false). Bind this to draw.</summary>
    public uint CurrentTexture => outputs[current];

    /// <summary>Whether <see cref="CurrentTexture"/> holds an uploaded texture rather than the placeholder.</summary>
    public bool HasFrame { get; private set; }

    /// <summary>GL names of the three rotating output textures (change on resize).</summary>
    public IReadOnlyList<uint> Textures => outputs;

    /// <summary>GL name of the pixel unpack buffer (0 on the CPU path).</summary>
    public uint PixelBuffer => pixelBuffer;

    /// <summary>GL name of the R32F planar staging texture, a 2D array of W × H with 3 layers (R, G, B), which each
    /// upload fills. 0 on the CPU path.</summary>
    public uint PlanarTexture => planarTexture;

    /// <summary>Increments whenever the GL textures are recreated (resize), so anything that holds their names can follow.</summary>
    public int Generation { get; private set; }

    /// <summary>Textures uploaded and converted so far (the placeholder not counted).</summary>
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
    /// <exception cref="ArgumentOutOfRangeException">The size is below 1 or beyond GL_MAX_TEXTURE_SIZE.</exception>
    public void Upload(ReadOnlySpan<float> planar, int width, int height)
    {
        VerifyThread();
        CheckSize(width, height);
        var count = 3 * width * height;
        if (planar.Length < count)
            throw new ArgumentException($"planar data must hold 3×{height}×{width} = {count} floats, got {planar.Length}.", nameof(planar));
        EnsureSize(width, height);
        int next = (current + 1) % 3;
        Write(planar, next);
        current = next;
        HasFrame = true;
        FramesUploaded++;
    }

    // Converts planar data into output texture `target` (either path) and regenerates its mips.
    private void Write(ReadOnlySpan<float> planar, int target)
    {
        if (Path == GlConversionPath.Compute)
        {
            var bytes = (nuint)(3 * Width * Height * sizeof(float));
            gl.BindBuffer(BufferTargetARB.PixelUnpackBuffer, pixelBuffer);
            // Orphan: the driver hands out fresh storage if the previous upload is still in flight.
            gl.BufferData(BufferTargetARB.PixelUnpackBuffer, bytes, null, BufferUsageARB.StreamDraw);
            fixed (float* p = planar) gl.BufferSubData(BufferTargetARB.PixelUnpackBuffer, 0, bytes, p);
            SetUnpack(4);
            gl.BindTexture(TextureTarget.Texture2DArray, planarTexture);
            gl.TexSubImage3D(TextureTarget.Texture2DArray, 0, 0, 0, 0, (uint)Width, (uint)Height, 3, PixelFormat.Red, PixelType.Float, null);
            gl.BindTexture(TextureTarget.Texture2DArray, 0);
            gl.BindBuffer(BufferTargetARB.PixelUnpackBuffer, 0);
            Dispatch(target);
            return;
        }
        gl.BindTexture(TextureTarget.Texture2D, outputs[target]);
        SetUnpack(4);
        if (Format == TexturePixelFormat.Rgba8)
        {
            PlanarTextureConversion.ToRgba8(planar, Width, Height, cpuBytes, linearValues);
            fixed (byte* p = cpuBytes)
                gl.TexSubImage2D(TextureTarget.Texture2D, 0, 0, 0, (uint)Width, (uint)Height, PixelFormat.Rgba, PixelType.UnsignedByte, p);
        }
        else
        {
            PlanarTextureConversion.ToRgbaFloat(planar, Width, Height, cpuFloats, linearValues);
            fixed (float* p = cpuFloats)
                gl.TexSubImage2D(TextureTarget.Texture2D, 0, 0, 0, (uint)Width, (uint)Height, PixelFormat.Rgba, PixelType.Float, p);
        }
        if (levels > 1) gl.GenerateMipmap(TextureTarget.Texture2D);
        gl.BindTexture(TextureTarget.Texture2D, 0);
    }

    private void SetUnpack(int alignment)
    {
        gl.PixelStore(PixelStoreParameter.UnpackAlignment, alignment);
        gl.PixelStore(PixelStoreParameter.UnpackRowLength, 0);
        gl.PixelStore(PixelStoreParameter.UnpackImageHeight, 0);
    }

    /// <summary>
    /// Runs the planar→RGBA compute shader on whatever <see cref="PlanarTexture"/> holds into the next output
    /// texture and makes it current. <see cref="Upload"/> does this itself; a producer that fills the planar texture on the GPU calls it after its write.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sink uses the CPU path (no planar texture).</exception>
    public void ConvertPlanar()
    {
        VerifyThread();
        if (Path != GlConversionPath.Compute)
            throw new InvalidOperationException("ConvertPlanar needs the compute path; this sink converts on the CPU (Upload).");
        var next = (current + 1) % 3;
        Dispatch(next);
        current = next;
        HasFrame = true;
        FramesUploaded++;
    }

    private void Dispatch(int target)
    {
        gl.UseProgram(program);
        gl.Uniform2(sizeLocation, Width, Height);
        gl.ActiveTexture(TextureUnit.Texture0);
        gl.BindTexture(TextureTarget.Texture2DArray, planarTexture);
        gl.BindImageTexture(0, srgbStorage ? views[target] : outputs[target], 0, false, 0, BufferAccessARB.WriteOnly,
            Format == TexturePixelFormat.Rgba8 ? InternalFormat.Rgba8 : InternalFormat.Rgba16f);
        gl.DispatchCompute((uint)((Width + GroupSize - 1) / GroupSize), (uint)((Height + GroupSize - 1) / GroupSize), 1);
        // Later sampling, image access, mipmap generation and readback must see the compute writes.
        gl.MemoryBarrier(MemoryBarrierMask.AllBarrierBits);
        gl.BindTexture(TextureTarget.Texture2DArray, 0);
        gl.UseProgram(0);
        if (levels > 1)
        {
            gl.BindTexture(TextureTarget.Texture2D, outputs[target]);
            gl.GenerateMipmap(TextureTarget.Texture2D);
            gl.BindTexture(TextureTarget.Texture2D, 0);
        }
    }

    /// <summary>Reads the current texture's level 0 back as RGBA floats in [0, 1] (Width·Height·4 values, row 0 first; the
    /// stored values, so sRGB-encoded for <see cref="TextureColorSpace.Srgb"/>). For tests and screenshots; desktop GL only.</summary>
    public void ReadCurrent(Span<float> rgba) => ReadLevel(0, rgba);

    /// <summary>Reads the current texture's level 0 back as RGBA bytes (Width·Height·4, row 0 first), e.g. for PNGs; desktop GL only.</summary>
    public void ReadCurrent(Span<byte> rgba) => ReadLevel(0, rgba);

    /// <summary>Reads mip level <paramref name="level"/> of the current texture as RGBA bytes (its width·height·4).</summary>
    /// <exception cref="NotSupportedException">A GLES context (no glGetTexImage).</exception>
    public void ReadLevel(int level, Span<byte> rgba)
    {
        int count = LevelCount(level);
        if (rgba.Length < count)
            throw new ArgumentException($"destination must hold {count} bytes for mip level {level}, got {rgba.Length}.", nameof(rgba));
        fixed (byte* p = rgba) Read(level, PixelType.UnsignedByte, p);
    }

    /// <summary>Reads mip level <paramref name="level"/> of the current texture as RGBA floats (its width·height·4).</summary>
    /// <exception cref="NotSupportedException">A GLES context (no glGetTexImage).</exception>
    public void ReadLevel(int level, Span<float> rgba)
    {
        int count = LevelCount(level);
        if (rgba.Length < count)
            throw new ArgumentException($"destination must hold {count} floats for mip level {level}, got {rgba.Length}.", nameof(rgba));
        fixed (float* p = rgba) Read(level, PixelType.Float, p);
    }

    /// <summary>Width and height of mip level <paramref name="level"/>.</summary>
    public (int Width, int Height) LevelSize(int level)
    {
        if (level < 0 || level >= levels)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"mip level must be in [0, {levels - 1}].");
        return (Math.Max(1, Width >> level), Math.Max(1, Height >> level));
    }

    private int LevelCount(int level)
    {
        VerifyThread();
        var (w, h) = LevelSize(level);
        return 4 * w * h;
    }

    private void Read(int level, PixelType type, void* destination)
    {
        if (!Capabilities.HasGetTexImage)
            throw new NotSupportedException("reading a texture back needs glGetTexImage (desktop OpenGL); this is a GLES context.");
        gl.PixelStore(PixelStoreParameter.PackAlignment, 4);
        gl.BindTexture(TextureTarget.Texture2D, outputs[current]);
        gl.GetTexImage(TextureTarget.Texture2D, level, PixelFormat.Rgba, type, destination);
        gl.BindTexture(TextureTarget.Texture2D, 0);
    }

    /// <summary>Reallocates the textures when the size differs (new GL names, <see cref="Generation"/> increments, the
    /// placeholder current until the next upload); a no-op otherwise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is below 1 or beyond GL_MAX_TEXTURE_SIZE.</exception>
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
        levels = Options.Mipmaps ? 1 + (int)Math.Floor(Math.Log2(Math.Max(width, height))) : 1;
        var storage = srgbStorage ? SizedInternalFormat.Srgb8Alpha8
            : Format == TexturePixelFormat.Rgba8 ? SizedInternalFormat.Rgba8 : SizedInternalFormat.Rgba16f;
        var min = levels > 1 ? TextureMinFilter.LinearMipmapLinear : TextureMinFilter.Linear;
        for (var i = 0; i < 3; i++)
            outputs[i] = CreateTexture(storage, width, height, levels, min);
        if (Path == GlConversionPath.Compute)
        {
            planarTexture = gl.GenTexture();
            gl.BindTexture(TextureTarget.Texture2DArray, planarTexture);
            gl.TexStorage3D(TextureTarget.Texture2DArray, 1, SizedInternalFormat.R32f, (uint)width, (uint)height, 3);
            gl.TexParameter(TextureTarget.Texture2DArray, TextureParameterName.TextureMinFilter, (int)TextureMinFilter.Nearest);
            gl.TexParameter(TextureTarget.Texture2DArray, TextureParameterName.TextureMagFilter, (int)TextureMagFilter.Nearest);
            gl.BindTexture(TextureTarget.Texture2DArray, 0);
            if (srgbStorage)
                for (var i = 0; i < 3; i++)
                {
                    views[i] = gl.GenTexture();
                    gl.TextureView(views[i], TextureTarget.Texture2D, outputs[i], SizedInternalFormat.Rgba8, 0, 1, 0, 1);
                }
        }
        else if (Format == TexturePixelFormat.Rgba8) cpuBytes = new byte[4 * width * height];
        else cpuFloats = new float[4 * width * height];
        Generation++;
        // A valid texture from the first frame: v = 0 everywhere (mid-grey), through the same path as every upload.
        Write(new float[3 * width * height], 0);
        current = 0;
        HasFrame = false;
    }

    private uint CreateTexture(SizedInternalFormat format, int width, int height, int mipLevels, TextureMinFilter min)
    {
        var texture = gl.GenTexture();
        gl.BindTexture(TextureTarget.Texture2D, texture);
        gl.TexStorage2D(TextureTarget.Texture2D, (uint)mipLevels, format, (uint)width, (uint)height);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, (int)min);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, (int)TextureMagFilter.Linear);
        // Repeat: generated textures are seamless and meant to tile.
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapS, (int)TextureWrapMode.Repeat);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapT, (int)TextureWrapMode.Repeat);
        gl.BindTexture(TextureTarget.Texture2D, 0);
        return texture;
    }

    private void DeleteTextures()
    {
        if (planarTexture != 0) gl.DeleteTexture(planarTexture);
        planarTexture = 0;
        for (var i = 0; i < 3; i++)
        {
            if (views[i] != 0) gl.DeleteTexture(views[i]);
            gl.DeleteTexture(outputs[i]);
            outputs[i] = views[i] = 0;
        }
        current = -1;
    }

    private void CheckSize(int width, int height)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"texture size must be at least 1×1, got {width}×{height}.");
        int max = Capabilities.MaxTextureSize;
        if (width > max || height > max)
            throw new ArgumentOutOfRangeException(nameof(width),
                $"a {width}×{height} texture does not fit this GL context: GL_MAX_TEXTURE_SIZE is {max} ({Capabilities.Version}).");
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
        if (pixelBuffer != 0) gl.DeleteBuffer(pixelBuffer);
        if (program != 0) gl.DeleteProgram(program);
        pixelBuffer = 0;
        program = 0;
        disposed = true;
    }
}
