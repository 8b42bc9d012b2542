using ConsistencyModels.Naming;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>One way to an EGL display: the surfaceless platform, or device <see cref="DeviceIndex"/> of the
/// device platform.</summary>
/// <param name="Platform"><see cref="HeadlessGlPlatform.Device"/> or <see cref="HeadlessGlPlatform.Surfaceless"/>.</param>
/// <param name="DeviceIndex">The device's index in eglQueryDevicesEXT's list; -1 for surfaceless.</param>
internal readonly record struct EglRoute(HeadlessGlPlatform Platform, int DeviceIndex)
{
    /// <summary>The environment variable that overrides <see cref="HeadlessGlPlatform.Auto"/>.</summary>
    public const string EnvironmentVariable = "CM_EGL_PLATFORM";

    /// <summary>The surfaceless route.</summary>
    public static EglRoute Surfaceless => new(HeadlessGlPlatform.Surfaceless, -1);

    /// <summary>
    /// The routes to try in order for <paramref name="platform"/>, given whether each enumerated EGL device is a
    /// software renderer (Mesa's EGL_MESA_device_software). Auto: hardware devices, then surfaceless, then software
    /// devices; Device: hardware then software devices; Surfaceless: only itself.
    /// </summary>
    public static IReadOnlyList<EglRoute> For(HeadlessGlPlatform platform, IReadOnlyList<bool> deviceIsSoftware)
    {
        IEnumerable<EglRoute> Devices(bool software) => Enumerable.Range(0, deviceIsSoftware.Count)
            .Where(i => deviceIsSoftware[i] == software).Select(i => new EglRoute(HeadlessGlPlatform.Device, i));
        var hardware = Devices(software: false);
        var software = Devices(software: true);
        return platform switch
        {
            HeadlessGlPlatform.Surfaceless => [Surfaceless],
            HeadlessGlPlatform.Device => [.. hardware, .. software],
            _ => [.. hardware, Surfaceless, .. software],
        };
    }

    /// <summary>Applies <see cref="EnvironmentVariable"/> to <paramref name="platform"/>: only Auto is overridden,
    /// an empty value keeps it.</summary>
    /// <exception cref="GlUnavailableException">The variable names no platform.</exception>
    public static HeadlessGlPlatform Resolve(HeadlessGlPlatform platform, string? environmentValue)
    {
        if (platform != HeadlessGlPlatform.Auto || string.IsNullOrWhiteSpace(environmentValue)) return platform;
        if (EnumNames.TryParse<HeadlessGlPlatform>(environmentValue.Trim(), out var chosen)) return chosen;
        throw new GlUnavailableException($"{EnvironmentVariable}={environmentValue}: expected auto, device or surfaceless.");
    }

    /// <inheritdoc />
    public override string ToString() => Platform == HeadlessGlPlatform.Surfaceless ? "EGL surfaceless" : $"EGL device {DeviceIndex}";
}
