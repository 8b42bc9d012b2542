namespace ConsistencyModels.Runtime.Cuda;

/// <summary>
/// Copies a CUDA device tensor straight into a <see cref="GlTextureSink"/>'s planar R32F texture (no trip
/// through host memory), then lets the sink's compute shader convert it. Registers the texture with
/// cudaGraphicsGLRegisterImage and re-registers after a resize. Create, use and dispose on the GL thread.
/// The device pointer of a contiguous float32 tensor [3, H, W] (or [1, 3, H, W]) is its storage's data
/// pointer plus storage_offset × 4 bytes.
/// </summary>
public sealed unsafe class CudaGlTextureBridge : IDisposable
{
    private readonly CudaRuntime cuda;
    private readonly GlTextureSink sink;
    private IntPtr resource;
    private int registeredGeneration = -1;

    /// <summary>Binds the bridge to a sink (registration happens at the first upload).</summary>
    public CudaGlTextureBridge(CudaRuntime cuda, GlTextureSink sink)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        ArgumentNullException.ThrowIfNull(sink);
        this.cuda = cuda;
        this.sink = sink;
    }

    /// <summary>Copies 3·height·width contiguous device floats (planar, [-1, 1]) into the sink and converts them.</summary>
    /// <param name="devicePointer">CUDA device address of the first float.</param>
    /// <param name="width">Texture width, ≥ 1.</param>
    /// <param name="height">Texture height, ≥ 1.</param>
    public void Upload(IntPtr devicePointer, int width, int height)
    {
        if (devicePointer == IntPtr.Zero)
            throw new ArgumentException("device pointer must not be null.", nameof(devicePointer));
        if (sink.Path != GlConversionPath.Compute)
            throw new InvalidOperationException("the CUDA bridge writes the sink's planar texture: create the sink with the compute path (GL 4.3+).");
        sink.EnsureSize(width, height);
        if (registeredGeneration != sink.Generation) Register();

        var r = resource;
        cuda.Check(cuda.GraphicsMapResources(1, &r, IntPtr.Zero), "cudaGraphicsMapResources");
        try
        {
            var rowBytes = (nuint)(width * sizeof(float));
            // The planar [3, H, W] tensor is three W × H single-channel images: one layer of the staging array each.
            for (uint layer = 0; layer < 3; layer++)
            {
                IntPtr array;
                cuda.Check(cuda.GraphicsSubResourceGetMappedArray(&array, r, layer, 0), "cudaGraphicsSubResourceGetMappedArray");
                var source = devicePointer + (nint)(layer * (ulong)width * (ulong)height * sizeof(float));
                cuda.Check(cuda.Memcpy2DToArray(array, 0, 0, source, rowBytes, rowBytes, (nuint)height, CudaRuntime.MemcpyDeviceToDevice),
                    "cudaMemcpy2DToArray");
            }
        }
        finally
        {
            cuda.GraphicsUnmapResources(1, &r, IntPtr.Zero);
        }
        sink.ConvertPlanar();
    }

    private void Register()
    {
        Unregister();
        IntPtr r;
        cuda.Check(cuda.GraphicsGLRegisterImage(&r, sink.PlanarTexture, CudaRuntime.GlTexture2DArray, CudaRuntime.RegisterFlagsWriteDiscard),
            "cudaGraphicsGLRegisterImage");
        resource = r;
        registeredGeneration = sink.Generation;
    }

    private void Unregister()
    {
        if (resource == IntPtr.Zero) return;
        cuda.GraphicsUnregisterResource(resource);
        resource = IntPtr.Zero;
    }

    /// <summary>Unregisters the texture from CUDA (the sink keeps its GL objects).</summary>
    public void Dispose() => Unregister();
}
