using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using ConsistencyModels.Tool.CommandLine;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool;

/// <summary>
/// The <c>cm</c> command line: builds the command tree, parses, maps each command to its options
/// record, runs its handler, and turns every failure into one <c>error:</c> line and an exit code.
/// </summary>
internal static class Cli
{
    /// <summary>Runs <c>cm</c> with the real handlers, writing to the given writers (tests capture them).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdout, stderr, CliSettings.Default());

    /// <summary>Runs <c>cm</c>.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliSettings settings)
    {
        bool debug = settings.Debug || args.Contains("--verbose");
        try
        {
            var root = BuildRoot(settings, stdout);
            var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
            if (parse.Action is ParseErrorAction)
                return WriteParseError(parse, stderr);
            int code = parse.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
            return args.Length == 0 ? ExitCodes.Usage : code;
        }
        catch (Exception error)
        {
            return ErrorReport.Write(error, stderr, debug);
        }
        finally
        {
            stdout.Flush();
            stderr.Flush();
        }
    }

    /// <summary>The command tree; each leaf's action binds its options record and calls its handler.</summary>
    public static RootCommand BuildRoot(CliSettings settings, TextWriter stdout)
    {
        var root = new RootCommand(
            "cm: train an EDM teacher on textures, distill it into a 1-2 step consistency model, sample and evaluate. "
            + "Errors are one line on stderr; set CM_DEBUG=1 or pass --verbose for details.");
        root.Add(new Option<bool>("--verbose") { Description = "Print full error details (stack traces).", Recursive = true });

        var trainTeacher = new TrainTeacherCli();
        var distill = new DistillCli();
        var sample = new SampleCli();
        var eval = new EvalCli();
        var dataFetch = new DataFetchCli();
        var bench = new BenchCli();
        var trainClassifier = new TrainClassifierCli();
        var export = new ExportCli();

        var h = settings.Handlers;
        var token = settings.Cancellation;
        Bind(trainTeacher.Command, settings, stdout, r => trainTeacher.Bind(r), (o, p) => h.TrainTeacher(o, p, token));
        Bind(distill.Command, settings, stdout, r => distill.Bind(r), (o, p) => h.Distill(o, p, token));
        Bind(sample.Command, settings, stdout, r => sample.Bind(r), (o, p) => h.Sample(o, p, token));
        Bind(eval.Command, settings, stdout, r => eval.Bind(r), (o, p) => h.Eval(o, p, token));
        Bind(dataFetch.GimpPatterns, settings, stdout, r => dataFetch.Bind(r), (o, p) => h.DataFetch(o, p, token));
        Bind(dataFetch.FreedoomFlats, settings, stdout, r => dataFetch.BindFreedoom(r), (o, p) => h.DataFetch(o, p, token));
        Bind(bench.Command, settings, stdout, r => bench.Bind(r), (o, p) => h.Bench(o, p, token));
        Bind(trainClassifier.Command, settings, stdout, r => trainClassifier.Bind(r), (o, p) => h.TrainClassifier(o, p, token));
        Bind(export.Command, settings, stdout, r => export.Bind(r), (o, p) => h.Export(o, p, token));

        root.Add(trainTeacher.Command);
        root.Add(distill.Command);
        root.Add(sample.Command);
        root.Add(eval.Command);
        root.Add(dataFetch.Command);
        root.Add(bench.Command);
        root.Add(trainClassifier.Command);
        root.Add(export.Command);
        return root;
    }

    private static void Bind<TOptions>(
        Command command, CliSettings settings, TextWriter stdout,
        Func<ParseResult, TOptions> bind, Func<TOptions, IProgressReporter, int> handle)
    {
        command.SetAction(result =>
        {
            var options = bind(result);
            using var progress = settings.ProgressFactory(stdout, settings.Interactive);
            int code = handle(options, progress);
            settings.Cancellation.ThrowIfCancellationRequested();
            return code;
        });
    }

    /// <summary>One line: the first parse error, how many more, and where to get help.</summary>
    private static int WriteParseError(ParseResult parse, TextWriter stderr)
    {
        var errors = parse.Errors;
        var command = parse.CommandResult.Command;
        string message = command.Action is null && command.Subcommands.Count > 0
            ? $"{CommandPath(parse)} needs a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))}"
            : ErrorReport.OneLine(errors[0].Message).TrimEnd('.');
        string more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
        stderr.WriteLine($"error: {message}{more}; see '{CommandPath(parse)} --help'");
        return ExitCodes.Usage;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is CommandResult command; result = command.Parent)
            if (command.Command is not RootCommand) names.Insert(0, command.Command.Name);
        names.Insert(0, "cm");
        return string.Join(' ', names);
    }
}
