using ConsistencyModels.Naming;

namespace ConsistencyModels.Tool.Options;

/// <summary>File formats <c>cm export</c> writes.</summary>
public enum ExportFormat
{
    /// <summary>ONNX (opset 19) for ONNX Runtime, Unity Sentis, Unreal NNE (docs/ONNX.md).</summary>
    [Name("onnx")] Onnx,

    /// <summary>The same model file with its weights stored as IEEE half (float16): half the bytes, loads as float32
    /// everywhere (libtorch, the GL backend). Ships a larger network inside the 10 MB budget of an embedded model.</summary>
    [Name("safetensors-f16")] SafetensorsF16,

    /// <summary>The model file with float32 weights: turns a training checkpoint (its EMA weights) into a model file,
    /// e.g. a teacher to continue with <c>cm train-teacher --init</c> or to commit.</summary>
    [Name("safetensors")] Safetensors,
}
