namespace ConsistencyModels.Data;

/// <summary>One source image of a <see cref="TextureDataset"/>.</summary>
/// <param name="Name">Display name (file name, or the GIMP pattern's own name).</param>
/// <param name="SourcePath">The file it was read from.</param>
/// <param name="ClassIndex">Index into <see cref="TextureDataset.ClassNames"/>.</param>
/// <param name="Pixels">Planar RGB in [-1, 1].</param>
public sealed record TextureImage(string Name, string SourcePath, int ClassIndex, PlanarImage Pixels);
