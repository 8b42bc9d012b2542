namespace ConsistencyModels.Data;

/// <summary>
/// A dihedral augmentation applied to a crop, in this order: flip left-right (<paramref name="FlipH"/>,
/// like torch.flip on the W axis), flip top-bottom (<paramref name="FlipV"/>, the H axis), then
/// <paramref name="Rot90"/> quarter turns counter-clockwise (like torch.rot90 with dims (H, W)).
/// </summary>
/// <param name="FlipH">Mirror columns.</param>
/// <param name="FlipV">Mirror rows.</param>
/// <param name="Rot90">Quarter turns, 0..3.</param>
public readonly record struct CropTransform(bool FlipH, bool FlipV, int Rot90)
{
    /// <summary>No flip, no rotation.</summary>
    public static CropTransform Identity => default;
}
