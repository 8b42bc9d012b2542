using ConsistencyModels.Naming;
namespace ConsistencyModels.Tool.Options;

/// <summary>Where TorchSharp runs the network.</summary>
public enum ComputeDevice
{
    /// <summary>The CPU (the only backend restorable on our machines).</summary>
    [Name("cpu")] Cpu,

    /// <summary>A CUDA GPU (needs a CUDA TorchSharp backend).</summary>
    [Name("cuda")] Cuda,
}
