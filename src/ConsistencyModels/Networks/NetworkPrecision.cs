using System.Runtime.Intrinsics.X86;
using ConsistencyModels.Naming;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Networks;

/// <summary>The number format a network's weights and activations are kept in for inference.</summary>
public enum NetworkPrecision
{
    /// <summary>bfloat16 on a CPU that computes it natively (AVX512-BF16 or AMX-BF16), float32 everywhere else.</summary>
    [Name("auto")] Auto,

    /// <summary>float32, the format models are trained and stored in: results equal the reference samplers.</summary>
    [Name("fp32")] Float32,

    /// <summary>
    /// bfloat16 weights and activations (8-bit mantissa); inputs, σ coefficients and outputs stay float32. About a
    /// quarter faster on CPUs with native bf16; much slower on CPUs without it, where libtorch emulates it.
    /// </summary>
    [Name("bf16")] BFloat16,
}

/// <summary>Resolving <see cref="NetworkPrecision.Auto"/> and applying a precision to a network.</summary>
public static class NetworkPrecisions
{
    private static readonly Lazy<bool> NativeBf16 = new(DetectNativeBFloat16);

    /// <summary>Whether this CPU has bfloat16 dot-product instructions (CPUID leaf 7: AVX512_BF16 or AMX_BF16).</summary>
    public static bool CpuHasNativeBFloat16 => NativeBf16.Value;

    /// <summary>The concrete precision for <paramref name="precision"/> on <paramref name="device"/> (never Auto).
    /// Auto picks bfloat16 only on a CPU with native bf16: CUDA stays float32 until measured there.</summary>
    public static NetworkPrecision Resolve(NetworkPrecision precision, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return precision switch
        {
            NetworkPrecision.Float32 or NetworkPrecision.BFloat16 => precision,
            NetworkPrecision.Auto => device.type == DeviceType.CPU && CpuHasNativeBFloat16 ? NetworkPrecision.BFloat16 : NetworkPrecision.Float32,
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown precision"),
        };
    }

    /// <summary>The tensor type of a resolved precision.</summary>
    public static ScalarType ScalarType(NetworkPrecision resolved) => resolved switch
    {
        NetworkPrecision.Float32 => TorchSharp.torch.ScalarType.Float32,
        NetworkPrecision.BFloat16 => TorchSharp.torch.ScalarType.BFloat16,
        _ => throw new ArgumentException("resolve Auto first (NetworkPrecisions.Resolve)", nameof(resolved)),
    };

    /// <summary>Parses the names used on command lines: auto, fp32 or bf16 (<see cref="EnumNames"/>).</summary>
    public static bool TryParse(string? name, out NetworkPrecision precision) => EnumNames.TryParse(name, out precision);

    /// <summary>Short name for logs and reports: fp32 or bf16.</summary>
    public static string ShortName(NetworkPrecision resolved) => EnumNames.Of(resolved);

    private static bool DetectNativeBFloat16()
    {
        if (!X86Base.IsSupported) return false;
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7) return false;
        var (maxSub, _, _, edx0) = X86Base.CpuId(7, 0);
        bool amxBf16 = (edx0 & (1 << 22)) != 0;
        bool avx512Bf16 = maxSub >= 1 && (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;
        // AVX-512 state must also be enabled by the OS; .NET reports that through Avx512F.
        return (avx512Bf16 && Avx512F.IsSupported) || amxBf16;
    }
}
