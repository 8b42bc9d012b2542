namespace ConsistencyModels.Networks.Description;

/// <summary>
/// What one backend derived from a <see cref="NetworkDescription"/> executes for one of its ops: the op's index, the
/// kind of computation the backend does, and the weights it reads (model-file names, in order). Each backend lists
/// its steps (the TorchSharp <c>UNet.Steps</c>, <c>TorchScriptDenoiser.Steps</c>, the GL dispatch plan) and
/// <see cref="NetworkDescription.Disagreements"/> checks them against the description, so the backends agree op by op.
/// </summary>
/// <param name="OpIndex">Index of the op in <see cref="NetworkDescription.Ops"/>.</param>
/// <param name="Kind">The computation the backend performs for it.</param>
/// <param name="Weights">The weights the backend reads for it (state_dict / model-file names, in order).</param>
public sealed record BackendStep(int OpIndex, LayerOpKind Kind, IReadOnlyList<string> Weights)
{
    /// <summary>"op i: Kind(weights)".</summary>
    public override string ToString() => $"op {OpIndex}: {Kind}({string.Join(", ", Weights)})";
}
