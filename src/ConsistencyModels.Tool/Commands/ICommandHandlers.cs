using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// What each command does once its options are parsed. <see cref="CommandHandlers"/> runs the real
/// commands; tests substitute a recorder to check parsing without running anything.
/// </summary>
public interface ICommandHandlers
{
    /// <summary><c>cm train-teacher</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int TrainTeacher(TrainTeacherOptions options, IProgressReporter progress, CancellationToken cancellation);

    /// <summary><c>cm distill</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int Distill(DistillOptions options, IProgressReporter progress, CancellationToken cancellation);

    /// <summary><c>cm sample</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int Sample(SampleOptions options, IProgressReporter progress, CancellationToken cancellation);

    /// <summary><c>cm eval</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int Eval(EvalOptions options, IProgressReporter progress, CancellationToken cancellation);

    /// <summary><c>cm data fetch gimp-patterns</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int DataFetch(DataFetchOptions options, IProgressReporter progress, CancellationToken cancellation);

    /// <summary><c>cm train-classifier</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int TrainClassifier(TrainClassifierOptions options, IProgressReporter progress, CancellationToken cancellation);

    /// <summary><c>cm bench</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int Bench(BenchOptions options, IProgressReporter progress, CancellationToken cancellation);

    /// <summary><c>cm export</c>.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    int Export(ExportOptions options, IProgressReporter progress, CancellationToken cancellation);
}
