using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace ConsistencyModels.Metrics.Structure;

/// <summary>
/// The structure class test's result: the share of images a <see cref="StructureClassifier"/> assigns to the class they
/// should show (the class a sample was asked for, or a real crop's own class), overall and per class.
/// </summary>
/// <param name="ClassNames">The classifier's class names.</param>
/// <param name="Correct">Correctly assigned images per class.</param>
/// <param name="Counts">Images per class (0 where a class was not asked for).</param>
/// <param name="NoStructure">Images per class that the classifier assigned to "no structure".</param>
public sealed record StructureScore(IReadOnlyList<string> ClassNames, IReadOnlyList<int> Correct, IReadOnlyList<int> Counts, IReadOnlyList<int> NoStructure)
{
    /// <summary>Share of all images assigned to "no structure" (the right spectrum, none of the shapes).</summary>
    public double NoStructureShare => Counts.Sum() == 0 ? double.NaN : (double)NoStructure.Sum() / Counts.Sum();

    /// <summary>Share of all images assigned to their class.</summary>
    public double Overall => Counts.Sum() == 0 ? double.NaN : (double)Correct.Sum() / Counts.Sum();

    /// <summary>Share per class (NaN where the class has no images).</summary>
    public IReadOnlyList<double> PerClass => Correct.Zip(Counts, (c, n) => n == 0 ? double.NaN : (double)c / n).ToArray();

    /// <summary>The lowest per-class share over the classes that have images.</summary>
    public double Worst => PerClass.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();

    /// <summary>
    /// Scores predicted classes [N] against the expected ones [N] (int64 indices into <paramref name="classNames"/>; a
    /// prediction of <paramref name="classNames"/>.Count is "no structure").
    /// </summary>
    public static StructureScore FromPredictions(IReadOnlyList<string> classNames, Tensor predicted, Tensor expected)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(expected);
        TensorGuard.SameShape(predicted, expected, nameof(predicted), nameof(expected));
        var p = predicted.cpu().to(int64).data<long>().ToArray();
        var e = expected.cpu().to(int64).data<long>().ToArray();
        var correct = new int[classNames.Count];
        var counts = new int[classNames.Count];
        var none = new int[classNames.Count];
        for (int i = 0; i < e.Length; i++)
        {
            if (e[i] < 0 || e[i] >= classNames.Count)
                throw new ArgumentException($"expected class {e[i]} is outside the classifier's {classNames.Count} classes.", nameof(expected));
            counts[e[i]]++;
            if (p[i] == e[i]) correct[e[i]]++;
            if (p[i] == classNames.Count) none[e[i]]++;
        }
        return new StructureScore(classNames.ToArray(), correct, counts, none);
    }

    /// <summary>Classifies <paramref name="images"/> [N, 3, H, W] in [-1, 1] and scores them against <paramref name="expected"/> [N].</summary>
    public static StructureScore Compute(StructureClassifier classifier, Tensor images, Tensor expected)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        using var predicted = classifier.Predict(images);
        return FromPredictions(classifier.Config.ClassNames, predicted, expected);
    }

    /// <summary>JSON: overall, worst, no_structure (share), per_class {name: share}, counts {name: n} (classes without images left out).</summary>
    public JsonObject ToJsonObject()
    {
        var perClass = new JsonObject();
        var counts = new JsonObject();
        var shares = PerClass;
        for (int c = 0; c < ClassNames.Count; c++)
        {
            if (Counts[c] == 0) continue;
            perClass[ClassNames[c]] = shares[c];
            counts[ClassNames[c]] = Counts[c];
        }
        return new JsonObject
        {
            ["overall"] = Finite(Overall),
            ["worst"] = Finite(Worst),
            ["no_structure"] = Finite(NoStructureShare),
            ["per_class"] = perClass,
            ["counts"] = counts,
        };
    }

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
