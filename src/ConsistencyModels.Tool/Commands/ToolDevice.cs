using ConsistencyModels.Tool.Options;
using TorchSharp;

namespace ConsistencyModels.Tool.Commands;

/// <summary>Maps --device to a TorchSharp device, with a clear error when CUDA is asked for but absent.</summary>
internal static class ToolDevice
{
    public static torch.Device Resolve(ComputeDevice device)
    {
        if (device == ComputeDevice.Cpu) return torch.CPU;
        if (!torch.cuda.is_available())
            throw new CmException("--device cuda: CUDA is not available here (build with -p:TorchBackend=cuda-linux or cuda-windows on a machine with an NVIDIA GPU), use --device cpu")
            { ExitCode = ExitCodes.Failure };
        return torch.CUDA;
    }
}
