using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Tests.Gl;

/// <summary>
/// A headless EGL context (failing, not skipping, under CM_REQUIRE_GL=1: <see cref="GlRequirement.Headless"/>) and a
/// temporary folder for model files, fresh for every test. Derived [SetUp]s run after this one and derived [TearDown]s
/// before it, so what they make on the context is gone before the context is.
/// </summary>
public abstract class HeadlessGlFixture
{
    protected GlContext context = null!;
    protected GL gl = null!;
    protected string directory = null!;

    [SetUp]
    public void CreateContext()
    {
        context = GlRequirement.Headless();
        gl = context.GL;
        directory = TestModels.TempDirectory();
    }

    [TearDown]
    public void DisposeContext()
    {
        context?.Dispose();
        if (Directory.Exists(directory)) Directory.Delete(directory, true);
    }
}
