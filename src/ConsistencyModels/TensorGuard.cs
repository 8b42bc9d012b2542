namespace ConsistencyModels;

/// <summary>Tensor argument checks (the numeric ones are <c>Guard</c> in ConsistencyModels.Core).</summary>
internal static class TensorGuard
{
    public static void SameShape(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b, string nameA, string nameB)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"{nameA} and {nameB} must have the same shape, got [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}].");
    }
}
