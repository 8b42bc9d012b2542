namespace ConsistencyModels.Runtime.Gl;

/// <summary>GLFW key codes used by the viewer (values from GLFW/glfw3.h; printable keys are their ASCII upper case).</summary>
public static class GlfwKeys
{
    /// <summary>Escape.</summary>
    public const int Escape = 256;
    /// <summary>Right arrow.</summary>
    public const int Right = 262;
    /// <summary>Left arrow.</summary>
    public const int Left = 263;
    /// <summary>Digit 1.</summary>
    public const int D1 = 49;
    /// <summary>Digit 2.</summary>
    public const int D2 = 50;
    /// <summary>Letter A.</summary>
    public const int A = 65;
    /// <summary>Letter N.</summary>
    public const int N = 78;
    /// <summary>Letter S.</summary>
    public const int S = 83;
}
