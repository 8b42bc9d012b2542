using ConsistencyModels.IO;
using ConsistencyModels.Naming;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Commands;

/// <summary>A short description of a model for headers: "consistency model, cd, 8 classes, 1.2M parameters".</summary>
internal static class ModelDescription
{
    /// <summary>Kind, method, classes and trained crop of the model.</summary>
    public static string Of(ModelMetadata metadata)
    {
        var parts = new List<string> { metadata.Kind == ModelKind.Consistency ? "consistency model" : "teacher" };
        if (metadata.Method is not (TrainingMethod.Unknown or TrainingMethod.Teacher)) parts.Add(EnumNames.Of(metadata.Method));
        parts.Add(metadata.Config.ClassCount > 0 ? $"{metadata.Config.ClassCount} classes" : "unconditional");
        if (metadata.CropSize > 0) parts.Add($"trained on {metadata.CropSize}² crops");
        if (metadata.TrainingIterations > 0) parts.Add($"{metadata.TrainingIterations} iterations");
        return string.Join(", ", parts);
    }
}
