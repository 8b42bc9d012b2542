using ConsistencyModels.Platform;
using static TorchSharp.torch;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// The ODE error of DESIGN.md (the Direct CD comparison, seed 003): E = mean over samples of the RMS per pixel value
/// of f_θ(x_T) − Φ_teacher(x_T), where both start from the same x_T = σmax·z and Φ_teacher is the teacher's Heun
/// solution with <see cref="TeacherSteps"/> steps (<see cref="TeacherNfe"/> NFE). Images are in [-1, 1], outputs are
/// not clamped. For a K-step sampler the student's K-step sample replaces f_θ(x_T): for multistep consistency
/// sampling that includes its re-noising, so it measures how far the sample lands from the ODE solution of its
/// starting noise rather than the error of f alone.
/// </summary>
internal static class OdeError
{
    /// <summary>Heun steps of the teacher's reference solution (EDM's 18 steps).</summary>
    public const int TeacherSteps = 18;

    /// <summary>Network evaluations of the reference solution: 2·18 − 1.</summary>
    public const int TeacherNfe = 2 * TeacherSteps - 1;

    /// <summary>Mean over the batch of the per-sample RMS of <paramref name="samples"/> − <paramref name="reference"/> ([N, 3, H, W]).</summary>
    public static double Compute(Tensor samples, Tensor reference)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(reference);
        if (!samples.shape.SequenceEqual(reference.shape))
            throw new ArgumentException($"samples [{string.Join(", ", samples.shape)}] and reference [{string.Join(", ", reference.shape)}] must have the same shape.");
        using var scope = NewDisposeScope();
        var diff = samples.to(ScalarType.Float64).cpu() - reference.to(ScalarType.Float64).cpu();
        return diff.Square().mean([1, 2, 3]).sqrt().mean().item<double>();
    }
}
