namespace ConsistencyModels.Runtime.Gl;

/// <summary>Thrown when an OpenGL context cannot be created; the message says why and what to install.</summary>
public sealed class GlUnavailableException : Exception
{
    /// <summary>Creates the exception with a one-line reason.</summary>
    public GlUnavailableException(string message) : base(message) { }

    /// <summary>The Debian/Ubuntu packages that provide headless OpenGL (EGL surfaceless on Mesa llvmpipe).</summary>
    public const string InstallHint = "apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri";

    /// <summary>The Debian/Ubuntu package that provides windows (GLFW).</summary>
    public const string WindowInstallHint = "apt-get install libglfw3";
}
