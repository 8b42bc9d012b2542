using TorchSharp;

namespace ConsistencyModels;

/// <summary>Facts about the TorchSharp backend this process runs on.</summary>
public static class TorchInfo
{
    /// <summary>The best device present: CUDA when libtorch was built with it and a GPU exists, else CPU.</summary>
    public static torch.Device DefaultDevice => torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    /// <summary>A one-line description of the backend, for logs and the viewer's banner.</summary>
    public static string Describe() =>
        $"TorchSharp {typeof(torch).Assembly.GetName().Version}, device {DefaultDevice.type}, threads {torch.get_num_threads()}";
}
