using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Compute;

/// <summary>One compiled compute program of the GL backend and its uniform locations (looked up once, by name).</summary>
internal sealed class GlKernel : IDisposable
{
    private readonly GL gl;
    private readonly Dictionary<string, int> locations = new(StringComparer.Ordinal);

    public GlKernel(GL gl, string shaderFile, params (string Name, string Value)[] defines)
    {
        this.gl = gl;
        Name = defines.Length == 0 ? shaderFile : $"{shaderFile} ({string.Join(", ", defines.Select(d => $"{d.Name}={d.Value}"))})";
        Program = ShaderProgram.Compute(gl, Name, EmbeddedShaders.WithDefines(EmbeddedShaders.Read(shaderFile), defines));
    }

    /// <summary>"file (DEFINE=value, …)", for messages.</summary>
    public string Name { get; }

    /// <summary>The GL program name (0 once disposed).</summary>
    public uint Program { get; private set; }

    /// <summary>The location of a uniform (−1 when the compiler removed it as unused: setting it is then a no-op).</summary>
    public int Location(string uniform)
    {
        if (!locations.TryGetValue(uniform, out int location))
        {
            location = gl.GetUniformLocation(Program, uniform);
            locations[uniform] = location;
        }
        return location;
    }

    public void Dispose()
    {
        if (Program != 0) gl.DeleteProgram(Program);
        Program = 0;
    }
}

/// <summary>The compiled programs of one GL context, made on first use and shared by the network and the sampler.</summary>
internal sealed class GlKernels : IDisposable
{
    public const string Conv = "nn_conv.comp.glsl";
    public const string Norm = "nn_groupnorm.comp.glsl";
    public const string Elementwise = "nn_elementwise.comp.glsl";
    public const string Attention = "nn_attention.comp.glsl";
    public const string Sample = "cm_sample.comp.glsl";

    private readonly GL gl;
    private readonly Dictionary<string, GlKernel> kernels = new(StringComparer.Ordinal);

    public GlKernels(GL gl) => this.gl = gl;

    /// <summary>Every program made so far (tests check they are deleted).</summary>
    public IEnumerable<GlKernel> All => kernels.Values;

    public GlKernel Get(string file, params (string Name, string Value)[] defines)
    {
        string key = file + "|" + string.Join(",", defines.Select(d => d.Name + "=" + d.Value));
        if (!kernels.TryGetValue(key, out var kernel))
        {
            kernel = new GlKernel(gl, file, defines);
            kernels[key] = kernel;
        }
        return kernel;
    }

    public void Dispose()
    {
        foreach (var k in kernels.Values) k.Dispose();
        kernels.Clear();
    }
}
