using ConsistencyModels.Platform;

/// <summary>Runs the test assembly under GC stress when CM_GC_STRESS=1 (see the other test projects).</summary>
[SetUpFixture]
public sealed class GcStressSetUp
{
    /// <summary>Starts the stress thread if the environment asks for it.</summary>
    [OneTimeSetUp]
    public void StartGcStress() => GcStress.StartIfRequested();
}
