using System.CommandLine;
using ConsistencyModels.Tool.Options;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>The <c>data fetch gimp-patterns</c> command line (and its parent commands).</summary>
internal sealed class DataFetchCli
{
    /// <summary>The categories the default model trains on (DESIGN.md, Data); Wood and Legacy are left out.</summary>
    public static readonly IReadOnlyList<string> DefaultCategories =
        ["Stone", "Fabric", "Animal", "Paper", "Plant", "Sky", "Water", "Food"];

    private readonly Option<string> output = OptionKit.Path("--out", "DIR",
        "Folder for the patterns (one subfolder per category).", Path.Combine("data", "gimp-patterns"));
    private readonly Option<string[]> categories = new("--categories")
    {
        Description = "Pattern categories to keep, space- or comma-separated. Default: " + string.Join(",", DefaultCategories) + ".",
        HelpName = "NAME",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<bool> all = OptionKit.Flag("--all", "Keep every category (including Wood and Legacy).");
    private readonly Option<string> freedoomOutput = OptionKit.Path("--out", "DIR",
        "Folder for the textures (one subfolder per family).", Path.Combine("data", "freedoom-flats"));
    private readonly Option<bool> freedoomForce = OptionKit.Flag("--force", "Write into a non-empty --out folder (files of the same name are replaced).");
    private readonly Option<bool> force = OptionKit.Flag("--force", "Replace the patterns in a non-empty --out folder: the .pat files of each fetched category are deleted (and named) first; other files are kept.");

    public DataFetchCli()
    {
        GimpPatterns = new Command("gimp-patterns",
            "GIMP's seamless color patterns (.pat, GPL-3+) from Debian's gimp-data package (apt-get download + dpkg -x); not committed to the project.");
        GimpPatterns.Add(output);
        GimpPatterns.Add(categories);
        GimpPatterns.Add(all);
        GimpPatterns.Add(force);
        FreedoomFlats = new Command("freedoom-flats",
            "Freedoom's 229 seamless 64x64 colour floor/ceiling textures (BSD-3-Clause) from Debian's freedoom package, as PNGs in one folder per family; "
            + "a model trained only on them can ship in a game under BSD terms (keep COPYRIGHT-freedoom.txt with it).");
        FreedoomFlats.Add(freedoomOutput);
        FreedoomFlats.Add(freedoomForce);
        var fetch = new Command("fetch", "Download a training data set.") { GimpPatterns, FreedoomFlats };
        Command = new Command("data", "Training data helpers.") { fetch };
    }

    /// <summary>The <c>data</c> command (parent of <c>fetch</c>).</summary>
    public Command Command { get; }

    /// <summary>The <c>gimp-patterns</c> leaf command that runs.</summary>
    public Command GimpPatterns { get; }

    /// <summary>The <c>freedoom-flats</c> leaf command that runs.</summary>
    public Command FreedoomFlats { get; }

    public DataFetchOptions BindFreedoom(ParseResult result) =>
        new(result.GetValue(freedoomOutput)!, [], result.GetValue(freedoomForce), DataFetchSource.FreedoomFlats);

    public DataFetchOptions Bind(ParseResult result)
    {
        var given = (result.GetValue(categories) ?? [])
            .SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToList();
        bool keepAll = result.GetValue(all);
        Check.Exclusive("--all", keepAll, "--categories", given.Count > 0, "--all keeps every category");
        var chosen = keepAll ? [] : given.Count > 0 ? given.Distinct(StringComparer.OrdinalIgnoreCase).ToList() : DefaultCategories.ToList();
        return new DataFetchOptions(result.GetValue(output)!, chosen, result.GetValue(force));
    }
}
