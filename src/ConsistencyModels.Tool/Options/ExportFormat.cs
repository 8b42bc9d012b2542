using ConsistencyModels.Naming;

namespace ConsistencyModels.Tool.Options;

/// <summary>File formats <c>cm export</c> writes.</summary>
public enum ExportFormat
{
    /// <summary>ONNX (opset 19) for ONNX Runtime, Unity Sentis, Unreal NNE (docs/ONNX.md).</summary>
    [Name("onnx")] Onnx,
}
