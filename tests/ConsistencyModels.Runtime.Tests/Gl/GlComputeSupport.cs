using System.Runtime.InteropServices;
using ConsistencyModels.IO;
using Silk.NET.OpenGL;
using static TorchSharp.torch;
using ScalarType = TorchSharp.torch.ScalarType;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>Helpers for the GL compute backend tests: the libtorch model and the same weights for the GL backend, and
/// libtorch's noise of a seed in the layout <see cref="GlComputeTextureGenerator.InjectNoise"/> takes.</summary>
internal static class GlComputeSupport
{
    /// <summary>Tensor name → float32 values of a loaded model (the GL backend's weight reader).</summary>
    public static Func<string, float[]> Reader(LoadedModel model)
    {
        var state = model.Model.Net.state_dict();
        return name =>
        {
            using var t = state[name].to(ScalarType.Float32).contiguous();
            return t.data<float>().ToArray();
        };
    }

    /// <summary>GL backend for a loaded model (its weights read through TorchSharp).</summary>
    public static GlComputeTextureGenerator Generator(GL gl, LoadedModel model, GlComputeOptions? options = null) =>
        new(gl, model.Metadata, Reader(model), "test model", options);

    /// <summary>z then z′ of seeds A and A + 1 as TextureGenerator draws them (a CPU generator seeded with the seed),
    /// laid out [seed A/B][z/z′][3·H·W].</summary>
    public static float[] TorchNoise(ulong seedA, int width, int height)
    {
        int n = 3 * width * height;
        var result = new float[4 * n];
        for (int slot = 0; slot < 2; slot++)
        {
            using var generator = new Generator(0, CPU);
            generator.manual_seed(unchecked((long)(seedA + (ulong)slot)));
            for (int stream = 0; stream < 2; stream++)
            {
                using var z = empty([1, 3, height, width], ScalarType.Float32, CPU);
                z.normal_(0.0, 1.0, generator);
                MemoryMarshal.Cast<byte, float>(z.bytes).CopyTo(result.AsSpan((slot * 2 + stream) * n, n));
            }
        }
        return result;
    }

    public static double MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.That(a.Length, Is.EqualTo(b.Length));
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (!(d <= worst)) worst = double.IsNaN(d) ? double.PositiveInfinity : d;
        }
        return worst;
    }

    public static void AssertNoGlError(GL gl, string where)
    {
        var error = gl.GetError();
        Assert.That(error, Is.EqualTo(GLEnum.NoError), $"GL error after {where}");
    }
}
