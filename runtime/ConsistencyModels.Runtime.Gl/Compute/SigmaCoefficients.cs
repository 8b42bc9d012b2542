using ConsistencyModels.IO;

namespace ConsistencyModels.Runtime.Compute;

/// <summary>
/// The preconditioning D(x; σ) = c_skip·x + c_out·F(c_in·x; c_noise) of a model file at one σ, in double (the libtorch
/// path computes the same in float64 and rounds to float32): EDM (Karras et al. 2022) for a teacher, the consistency
/// parameterization with ε = σmin (Song et al. 2023, App. C) otherwise, as ModelFile wraps the network on load.
/// The torch-side formulas are EdmCoefficients / ConsistencyCoefficients (src/ConsistencyModels/Preconditioning),
/// which reference TorchSharp; a test checks these against PreconditionedNetwork.CoefficientsAt.
/// </summary>
internal readonly record struct SigmaCoefficients(double CIn, double CSkip, double COut, double CNoise)
{
    public static SigmaCoefficients At(ModelMetadata metadata, double sigma)
    {
        double sd = metadata.SigmaData, sd2 = sd * sd, s2 = sigma * sigma;
        double cIn = 1.0 / Math.Sqrt(s2 + sd2), cNoise = 0.25 * Math.Log(sigma);
        if (metadata.Kind == ModelKind.Teacher)
            return new SigmaCoefficients(cIn, sd2 / (s2 + sd2), sigma * sd / Math.Sqrt(s2 + sd2), cNoise);
        double d = sigma - metadata.SigmaMin;
        return new SigmaCoefficients(cIn, sd2 / (d * d + sd2), sd * d / Math.Sqrt(s2 + sd2), cNoise);
    }
}
