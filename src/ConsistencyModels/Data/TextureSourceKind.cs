namespace ConsistencyModels.Data;

/// <summary>What kind of folder a <see cref="TextureDataset"/> was loaded from.</summary>
public enum TextureSourceKind
{
    /// <summary>PNG/JPEG files directly in the folder: one class named "default".</summary>
    FlatImages,

    /// <summary>PNG/JPEG files in one subfolder per class.</summary>
    ClassFolders,

    /// <summary>GIMP <c>.pat</c> files (optionally in category folders): one class per pattern.</summary>
    GimpPatterns,
}
