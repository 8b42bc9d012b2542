using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Naming;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>Builders for the option kinds <c>cm</c> uses, with one-line parse errors.</summary>
internal static class OptionKit
{
    public static Option<string> RequiredPath(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName, Required = true };

    public static Option<string?> Path(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName };

    public static Option<string> Path(string name, string helpName, string description, string defaultValue) =>
        new(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue };

    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description };

    public static Option<int> Int(string name, string description, int defaultValue, string helpName = "N") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseInt(result, name) ?? 0,
        };

    public static Option<int?> OptionalInt(string name, string description, string helpName = "N") =>
        new(name) { Description = description, HelpName = helpName, CustomParser = result => ParseInt(result, name) };

    public static Option<double> Double(string name, string description, double defaultValue, string helpName = "X") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseDouble(result, name) ?? 0,
        };

    public static Option<double?> OptionalDouble(string name, string description, string helpName = "X") =>
        new(name) { Description = description, HelpName = helpName, CustomParser = result => ParseDouble(result, name) };

    /// <summary>An enum option named by the library's name table (<see cref="EnumNames"/>); null when not given.
    /// <paramref name="allowed"/> restricts it to some values (e.g. the distillation methods of <c>TrainingMethod</c>).</summary>
    /// <remarks>Long value lists get a short <paramref name="helpName"/> in the usage column; their description lists the values.</remarks>
    public static Option<T?> Choice<T>(string name, string description, bool required = false, string? helpName = null,
        IReadOnlyCollection<T>? allowed = null) where T : struct, Enum
    {
        var values = (allowed ?? Enum.GetValues<T>()).ToArray();
        var names = values.Select(EnumNames.Of).ToArray();
        string alternatives = names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
        var option = new Option<T?>(name)
        {
            Description = description,
            HelpName = helpName ?? string.Join('|', names),
            Required = required,
            CustomParser = result =>
            {
                string token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (EnumNames.TryParse<T>(token, out var value) && values.Contains(value)) return value;
                result.AddError($"unknown {name} '{token}': expected {alternatives}");
                return null;
            },
        };
        option.CompletionSources.Add(names);
        return option;
    }

    /// <summary>A comma-separated list of integers (e.g. <c>1,2,4,4</c>); <c>none</c> is the empty list; null when not given.</summary>
    public static Option<int[]?> IntList(string name, string description, string helpName = "N,N,...") =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                string token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (token == "none") return [];
                var values = new List<int>();
                foreach (string part in token.Split(',', StringSplitOptions.TrimEntries))
                {
                    if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
                    {
                        result.AddError($"{name} expects comma-separated integers (or none), got '{token}'");
                        return null;
                    }
                    values.Add(v);
                }
                return values.ToArray();
            },
        };

    private static int? ParseInt(ArgumentResult result, string name)
    {
        string token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(token, NumberStyles.Integer | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out int value))
            return value;
        result.AddError($"{name} expects an integer, got '{token}'");
        return null;
    }

    private static double? ParseDouble(ArgumentResult result, string name)
    {
        string token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
            return value;
        result.AddError($"{name} expects a finite number, got '{token}'");
        return null;
    }
}
