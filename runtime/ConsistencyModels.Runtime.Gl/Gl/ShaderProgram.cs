using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>Compiles and links GLSL programs, turning driver logs into exceptions that name the shader.</summary>
public static class ShaderProgram
{
    /// <summary>Builds a compute program from one source.</summary>
    public static uint Compute(GL gl, string name, string source) =>
        Link(gl, name, (ShaderType.ComputeShader, source));

    /// <summary>Builds a vertex + fragment program.</summary>
    public static uint Graphics(GL gl, string name, string vertexSource, string fragmentSource) =>
        Link(gl, name, (ShaderType.VertexShader, vertexSource), (ShaderType.FragmentShader, fragmentSource));

    private static uint Link(GL gl, string name, params (ShaderType Type, string Source)[] stages)
    {
        var program = gl.CreateProgram();
        var shaders = new List<uint>();
        try
        {
            foreach (var (type, source) in stages)
            {
                var shader = gl.CreateShader(type);
                shaders.Add(shader);
                gl.ShaderSource(shader, source);
                gl.CompileShader(shader);
                gl.GetShader(shader, ShaderParameterName.CompileStatus, out var ok);
                if (ok == 0)
                    throw new InvalidOperationException($"shader '{name}' ({type}) failed to compile: {gl.GetShaderInfoLog(shader).Trim()}");
                gl.AttachShader(program, shader);
            }
            gl.LinkProgram(program);
            gl.GetProgram(program, ProgramPropertyARB.LinkStatus, out var linked);
            if (linked == 0)
                throw new InvalidOperationException($"program '{name}' failed to link: {gl.GetProgramInfoLog(program).Trim()}");
            foreach (var shader in shaders) gl.DetachShader(program, shader);
            return program;
        }
        catch
        {
            gl.DeleteProgram(program);
            throw;
        }
        finally
        {
            foreach (var shader in shaders) gl.DeleteShader(shader);
        }
    }
}
