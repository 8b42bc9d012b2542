using ConsistencyModels.Data;

namespace ConsistencyModels.Tool.Commands;

/// <summary>Loads a training folder the way every training command does.</summary>
internal static class TrainingDataLoader
{
    /// <summary>
    /// Loads PNG/JPEG folders as they are; a GIMP pattern folder holding the default categories is restricted to
    /// them (Stone, Fabric, Animal, Paper, Plant, Sky, Water, Food; Wood and Legacy are left out).
    /// </summary>
    public static TextureDataset Load(string path)
    {
        bool hasGimpCategories = Directory.Exists(path) && TextureDatasetOptions.DefaultGimpCategories
            .Any(c => Directory.Exists(Path.Combine(path, c)) && Directory.EnumerateFiles(Path.Combine(path, c), "*.pat").Any());
        var options = hasGimpCategories ? new TextureDatasetOptions { Categories = TextureDatasetOptions.DefaultGimpCategories } : null;
        return TextureDataset.Load(path, options);
    }
}
