using ConsistencyModels.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ConsistencyModels.Training;

/// <summary>
/// Adam (Kingma and Ba) with the exact arithmetic of TorchSharp 0.107's <c>optim.Adam</c> (same libtorch calls in the
/// same order, so the same bits) but with every Scalar kept alive across its native call. TorchSharp's own
/// <c>Adam.step</c> builds its Scalars implicitly (<c>mul_(beta1)</c>, <c>add_(grad, alpha: 1 - beta1)</c>, …) and a
/// GC during the call can free them (docs/ARCHITECTURE.md, "Scalar lifetimes"). The state is saved and loaded in
/// TorchSharp's Adam format, so checkpoints written before this class still resume, and either optimizer can read
/// the other's. AMSGrad and maximize are not supported (the trainer uses neither).
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    /// <summary>The name TorchSharp writes at the start of an Adam state (its class name).</summary>
    public const string StateName = "Adam";

    private readonly Parameter[] _parameters;
    private readonly long[] _steps;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;
    private bool _disposed;

    /// <summary>Creates the optimizer with zero moments for every parameter.</summary>
    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate >= 0)) throw new ArgumentException($"learning rate must be >= 0, got {learningRate}.", nameof(learningRate));
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentException($"beta1 must be in [0, 1), got {beta1}.", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentException($"beta2 must be in [0, 1), got {beta2}.", nameof(beta2));
        if (!(eps >= 0)) throw new ArgumentException($"eps must be >= 0, got {eps}.", nameof(eps));
        if (!(weightDecay >= 0)) throw new ArgumentException($"weight decay must be >= 0, got {weightDecay}.", nameof(weightDecay));
        _parameters = parameters.ToArray();
        LearningRate = InitialLearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _steps = new long[_parameters.Length];
        _expAvg = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>The learning rate of the next step (the trainer's warm-up sets it every step).</summary>
    public double LearningRate { get; set; }

    /// <summary>The learning rate given at construction (saved with the state, as TorchSharp does).</summary>
    public double InitialLearningRate { get; private set; }

    /// <summary>β₁, the first moment's decay.</summary>
    public double Beta1 { get; private set; }

    /// <summary>β₂, the second moment's decay.</summary>
    public double Beta2 { get; private set; }

    /// <summary>ε added to the second moment's square root.</summary>
    public double Eps { get; private set; }

    /// <summary>L2 weight decay added to the gradient (0 = none).</summary>
    public double WeightDecay { get; private set; }

    /// <summary>The parameters, in state order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Steps taken by parameter <paramref name="index"/> (parameters without a gradient are skipped).</summary>
    public long StepCount(int index) => _steps[index];

    /// <summary>Zeroes every gradient in place (as TorchSharp's zero_grad).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    /// <summary>One Adam step on every parameter that has a gradient.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var beta1 = Beta1.ToScalar();
        using var beta2 = Beta2.ToScalar();
        using var oneMinusBeta1 = (1 - Beta1).ToScalar();
        using var oneMinusBeta2 = (1 - Beta2).ToScalar();
        using var eps = Eps.ToScalar();
        using var weightDecay = WeightDecay.ToScalar();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var param = _parameters[i];
            var grad = param.grad;
            if (grad is null) continue;
            long step = ++_steps[i];
            double biasCorrection1 = 1 - Math.Pow(Beta1, step);
            double biasCorrection2 = 1 - Math.Pow(Beta2, step);
            if (WeightDecay != 0) grad = grad.add(param, weightDecay);
            _expAvg[i].mul_(beta1).add_(grad, oneMinusBeta1);
            _expAvgSq[i].mul_(beta2).addcmul_(grad, grad.conj(), oneMinusBeta2);
            using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            var denom = _expAvgSq[i].sqrt().div(sqrtBiasCorrection2).add_(eps, ScalarArithmetic.One);
            using var negativeStepSize = (-(LearningRate / biasCorrection1)).ToScalar();
            param.addcdiv_(_expAvg[i], denom, negativeStepSize);
        }
    }

    /// <summary>Writes the state in TorchSharp's Adam format (<c>OptimizerHelper.save_state_dict</c>).</summary>
    public void SaveState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(StateName);
        Leb128.Write(writer, 1); // parameter groups
        Leb128.Write(writer, _parameters.Length);
        writer.Write(InitialLearningRate);
        writer.Write(LearningRate);
        writer.Write(Beta1);
        writer.Write(Beta2);
        writer.Write(Eps);
        writer.Write(WeightDecay);
        writer.Write(false); // amsgrad
        writer.Write(false); // maximize
        for (int i = 0; i < _parameters.Length; i++)
        {
            writer.Write(_steps[i]);
            _expAvg[i].Save(writer);
            _expAvgSq[i].Save(writer);
            writer.Write(false); // no max_exp_avg_sq
        }
    }

    /// <summary>
    /// Reads a state written by <see cref="SaveState"/> or by TorchSharp's Adam (one parameter group, no AMSGrad),
    /// replacing the hyper-parameters, steps and moments.
    /// </summary>
    /// <exception cref="InvalidDataException">The state is not an Adam state for these parameters.</exception>
    public void LoadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string name = reader.ReadString();
        if (name != StateName) throw new InvalidDataException($"optimizer state is '{name}', expected '{StateName}'.");
        long groups = Leb128.Read(reader), states = Leb128.Read(reader);
        if (groups != 1) throw new InvalidDataException($"optimizer state has {groups} parameter groups, expected 1.");
        if (states != _parameters.Length) throw new InvalidDataException($"optimizer state has {states} parameters, the model has {_parameters.Length}.");
        double initial = reader.ReadDouble(), lr = reader.ReadDouble(), b1 = reader.ReadDouble(), b2 = reader.ReadDouble();
        double eps = reader.ReadDouble(), wd = reader.ReadDouble();
        bool amsgrad = reader.ReadBoolean(), maximize = reader.ReadBoolean();
        if (amsgrad || maximize) throw new InvalidDataException("optimizer state uses AMSGrad or maximize, which this Adam does not support.");
        var steps = new long[_parameters.Length];
        using var scope = NewDisposeScope();
        var avg = new Tensor[_parameters.Length];
        var avgSq = new Tensor[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            steps[i] = reader.ReadInt64();
            avg[i] = zeros_like(_expAvg[i]);
            avg[i].Load(reader);
            avgSq[i] = zeros_like(_expAvgSq[i]);
            avgSq[i].Load(reader);
            if (reader.ReadBoolean()) throw new InvalidDataException("optimizer state has an AMSGrad moment, which this Adam does not support.");
        }
        // Everything was read and checked: only now replace the state.
        using (no_grad())
            for (int i = 0; i < _parameters.Length; i++)
            {
                _expAvg[i].copy_(avg[i]);
                _expAvgSq[i].copy_(avgSq[i]);
            }
        steps.CopyTo(_steps, 0);
        (InitialLearningRate, LearningRate, Beta1, Beta2, Eps, WeightDecay) = (initial, lr, b1, b2, eps, wd);
    }

    /// <summary>The first and second moments of parameter <paramref name="index"/> (owned by the optimizer).</summary>
    public (Tensor ExpAvg, Tensor ExpAvgSq) Moments(int index) => (_expAvg[index], _expAvgSq[index]);

    /// <summary>Frees the moment tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
    }

    /// <summary>The unsigned LEB128 counts of TorchSharp's optimizer format (its codec is internal).</summary>
    private static class Leb128
    {
        public static void Write(BinaryWriter writer, long value)
        {
            for (; value >= 0x80; value >>= 7) writer.Write((byte)(value & 0x7f | 0x80));
            writer.Write((byte)value);
        }

        public static long Read(BinaryReader reader)
        {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                long b = reader.ReadByte();
                result |= (b & 0x7f) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new InvalidDataException("optimizer state has a malformed count.");
        }
    }
}
