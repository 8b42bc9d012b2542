using static TorchSharp.torch;

namespace ConsistencyModels.Losses;

/// <summary>
/// One step of a teacher's PF-ODE solver from per-sample σ to σ' (both shape [B]): returns x at σ'.
/// The distillation losses take this delegate, so the teacher can be a network with a Heun step, or an
/// exact oracle's ODE solution in tests.
/// </summary>
public delegate Tensor OdeStep(Tensor x, Tensor sigma, Tensor sigmaNext, Tensor? labels);
