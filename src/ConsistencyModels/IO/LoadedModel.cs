using ConsistencyModels.Networks;
using ConsistencyModels.Preconditioning;
using ConsistencyModels.Solvers;
using static TorchSharp.torch;

namespace ConsistencyModels.IO;

/// <summary>A model read by <see cref="ModelFile.Load(string, Device?)"/>: the network in its preconditioning
/// (<see cref="EdmPrecond"/> for teachers, <see cref="ConsistencyPrecond"/> for consistency models), in eval mode
/// on the requested device, plus its metadata. Disposing it frees the weights.</summary>
public sealed class LoadedModel : IDisposable
{
    internal LoadedModel(PreconditionedNetwork model, ModelMetadata metadata)
    {
        Model = model;
        Metadata = metadata;
    }

    /// <summary>The preconditioned network (call <c>train()</c> on it to fine-tune).</summary>
    public PreconditionedNetwork Model { get; }

    /// <summary>The raw U-Net inside <see cref="Model"/>.</summary>
    public UNet Net => Model.Net;

    /// <summary>The metadata stored with the weights.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>Teacher or consistency model.</summary>
    public ModelKind Kind => Metadata.Kind;

    /// <summary>The model as a <see cref="Denoiser"/> with fixed class labels (see <see cref="PreconditionedNetwork.AsDenoiser"/>).</summary>
    public Denoiser AsDenoiser(Tensor? classLabels = null) => Model.AsDenoiser(classLabels);

    /// <summary>Frees the network.</summary>
    public void Dispose() => Model.Dispose();
}
