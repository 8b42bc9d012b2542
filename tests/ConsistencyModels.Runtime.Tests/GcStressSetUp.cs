using ConsistencyModels.Platform;

/// <summary>
/// Runs the whole test assembly under GC stress when CM_GC_STRESS=1 (a thread forcing collections and finalizers),
/// so a finalizable TorchSharp temporary freed during a native call shows up as a failing test.
/// </summary>
[SetUpFixture]
public sealed class GcStressSetUp
{
    /// <summary>Starts the stress thread if the environment asks for it.</summary>
    [OneTimeSetUp]
    public void StartGcStress() => GcStress.StartIfRequested();
}
