using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary>The real command handlers (one static class per command).</summary>
public sealed class CommandHandlers : ICommandHandlers
{
    /// <inheritdoc />
    public int TrainTeacher(TrainTeacherOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        TrainTeacherCommand.Run(options, progress, cancellation);

    /// <inheritdoc />
    public int Distill(DistillOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        DistillCommand.Run(options, progress, cancellation);

    /// <inheritdoc />
    public int Sample(SampleOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        SampleCommand.Run(options, progress, cancellation);

    /// <inheritdoc />
    public int Eval(EvalOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        EvalCommand.Run(options, progress, cancellation);

    /// <inheritdoc />
    public int DataFetch(DataFetchOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        DataFetchCommand.Run(options, progress, cancellation);

    /// <inheritdoc />
    public int TrainClassifier(TrainClassifierOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        TrainClassifierCommand.Run(options, progress, cancellation);

    /// <inheritdoc />
    public int Bench(BenchOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        BenchCommand.Run(options, progress, cancellation);

    /// <inheritdoc />
    public int Export(ExportOptions options, IProgressReporter progress, CancellationToken cancellation) =>
        ExportCommand.Run(options, progress, cancellation);
}
