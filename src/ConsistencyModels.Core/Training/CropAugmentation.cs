using ConsistencyModels.Naming;

namespace ConsistencyModels.Training;

/// <summary>
/// Which orientations a training crop is drawn in. Quarter turns multiply a one-image class by 8 orientations, and a
/// generated brick wall may then stand on end; <see cref="Flips"/> keeps every texture's axes (courses stay horizontal,
/// rain falls down) and <see cref="None"/> keeps its handedness too. Recorded in the model file so that distillation
/// follows its teacher.
/// </summary>
public enum CropAugmentation
{
    /// <summary>Random left-right and top-bottom flips and 0–3 quarter turns (the 8 symmetries of the square).</summary>
    [Name("dihedral")] Dihedral,

    /// <summary>Random left-right and top-bottom flips only: the texture's axes are kept.</summary>
    [Name("flips")] Flips,

    /// <summary>Every crop as it is in the source.</summary>
    [Name("none")] None,
}
