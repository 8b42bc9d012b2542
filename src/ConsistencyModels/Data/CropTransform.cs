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

    /// <summary>The transform that random <paramref name="bits"/> select under <paramref name="augmentation"/>: bit 0 flips
    /// left-right, bit 1 top-bottom, bits 2–3 count quarter turns; an augmentation that leaves a part out ignores its bits.</summary>
    public static CropTransform FromBits(ulong bits, Training.CropAugmentation augmentation) => augmentation switch
    {
        Training.CropAugmentation.Dihedral => new((bits & 1) != 0, (bits & 2) != 0, (int)((bits >> 2) & 3)),
        Training.CropAugmentation.Flips => new((bits & 1) != 0, (bits & 2) != 0, 0),
        Training.CropAugmentation.None => Identity,
        _ => throw new ArgumentOutOfRangeException(nameof(augmentation), augmentation, "unknown crop augmentation"),
    };
}
