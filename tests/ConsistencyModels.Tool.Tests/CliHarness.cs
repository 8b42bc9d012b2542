using ConsistencyModels.Tool.Commands;
using ConsistencyModels.Tool.CommandLine;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Tests;

/// <summary>Runs <c>cm</c> in-process with captured stdout/stderr and a recording handler set.</summary>
internal sealed class CliHarness
{
    public RecordingHandlers Handlers { get; } = new();

    public static CliResult RunReal(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Cli.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    public CliResult Run(params string[] args) => Run(CancellationToken.None, debug: false, args);

    public CliResult Run(CancellationToken token, bool debug, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var settings = new CliSettings(Handlers, token, Interactive: false, Debug: debug);
        int code = Cli.Run(args, stdout, stderr, settings);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>Records the options each handler receives; optionally throws or returns a code.</summary>
internal sealed class RecordingHandlers : ICommandHandlers
{
    public object? Received { get; private set; }
    public Func<int>? Behavior { get; set; }

    private int Record(object options)
    {
        Received = options;
        return Behavior?.Invoke() ?? 0;
    }

    public int TrainTeacher(TrainTeacherOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);
    public int Distill(DistillOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);
    public int Sample(SampleOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);
    public int Eval(EvalOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);
    public int DataFetch(DataFetchOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);
    public int TrainClassifier(TrainClassifierOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);
    public int Bench(BenchOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);

    public int Export(ExportOptions options, IProgressReporter progress, CancellationToken cancellation) => Record(options);
}
