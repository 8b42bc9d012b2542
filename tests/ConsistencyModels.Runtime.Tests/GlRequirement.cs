using ConsistencyModels.Runtime.Gl;

namespace ConsistencyModels.Runtime.Tests;

/// <summary>Creates GL contexts for tests: skipped with the reason when GL is missing, failed when CM_REQUIRE_GL=1.</summary>
internal static class GlRequirement
{
    public static bool Required => Environment.GetEnvironmentVariable("CM_REQUIRE_GL") == "1";

    public static GlContext Headless(HeadlessGlPlatform platform = HeadlessGlPlatform.Auto)
    {
        if (GlContext.TryCreateHeadless(out var context, out var reason, platform)) return context!;
        Unavailable($"headless OpenGL unavailable: {reason}");
        return null!;
    }

    public static void Unavailable(string reason)
    {
        if (Required) Assert.Fail(reason + " (CM_REQUIRE_GL=1)");
        Assert.Ignore(reason);
    }
}
