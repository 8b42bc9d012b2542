using ConsistencyModels.Naming;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>
/// Which EGL platform a headless context comes from. Mesa offers both; NVIDIA's driver offers the device platform
/// (EGL_EXT_platform_device), and through glvnd a surfaceless request on an NVIDIA machine with Mesa installed lands
/// on Mesa's software renderer: so <see cref="Auto"/> asks for a hardware device first.
/// </summary>
public enum HeadlessGlPlatform
{
    /// <summary>A hardware EGL device, else Mesa's surfaceless platform, else a software EGL device; the
    /// environment variable <c>CM_EGL_PLATFORM</c> (<c>device</c> or <c>surfaceless</c>) overrides it.</summary>
    [Name("auto")] Auto,

    /// <summary>EGL_EXT_platform_device: the first hardware device, else the first device (Mesa's software one).</summary>
    [Name("device")] Device,

    /// <summary>EGL_MESA_platform_surfaceless (Mesa only).</summary>
    [Name("surfaceless")] Surfaceless,
}
