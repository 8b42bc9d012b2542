using System.Text;
using ConsistencyModels.Tool.Progress;
using Spectre.Console;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// A small results table (eval metrics, bench timings). On a terminal it is drawn as a Spectre.Console table;
/// otherwise as a Markdown pipe table, so redirected output can be pasted into docs/RESULTS.md as it is.
/// </summary>
internal sealed class ResultTable
{
    private readonly string[] columns;
    private readonly List<string[]> rows = [];

    /// <summary>Creates a table; the first column is left-aligned, the others (numbers) right-aligned.</summary>
    public ResultTable(params string[] columns)
    {
        if (columns.Length == 0) throw new ArgumentException("a table needs at least one column", nameof(columns));
        this.columns = columns;
    }

    /// <summary>The rows added so far.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => rows;

    /// <summary>A number for a table cell (invariant culture; "nan"/"inf" spelled out).</summary>
    public static string Number(double value, string format = "F3") =>
        double.IsNaN(value) ? "nan" : double.IsInfinity(value) ? (value > 0 ? "inf" : "-inf")
        : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Adds a row (missing cells are blank).</summary>
    public void AddRow(params string[] cells)
    {
        if (cells.Length > columns.Length)
            throw new ArgumentException($"row has {cells.Length} cells, the table {columns.Length} columns", nameof(cells));
        rows.Add([.. cells, .. Enumerable.Repeat("", columns.Length - cells.Length)]);
    }

    /// <summary>Writes the table through <paramref name="progress"/>: Spectre layout on a terminal, Markdown otherwise.</summary>
    public void Write(IProgressReporter progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        progress.Info(progress is SpectreProgressReporter ? ToSpectreText() : ToMarkdown());
    }

    /// <summary>The table as Markdown (pipes, padded columns, <c>---:</c> for numeric columns).</summary>
    public string ToMarkdown()
    {
        var widths = columns.Select((c, i) => Math.Max(3, rows.Select(r => r[i].Length).Append(c.Length).Max())).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            text.Append('|');
            for (int i = 0; i < cells.Count; i++)
                text.Append(' ').Append(i == 0 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i])).Append(" |");
            text.AppendLine();
        }
        Line(columns);
        text.Append('|');
        for (int i = 0; i < columns.Length; i++)
            text.Append(' ').Append(i == 0 ? new string('-', widths[i]) : new string('-', widths[i] - 1) + ":").Append(" |");
        text.AppendLine();
        foreach (var row in rows) Line(row);
        return text.ToString().TrimEnd();
    }

    /// <summary>The table drawn by Spectre.Console (rounded border, no colour codes).</summary>
    public string ToSpectreText()
    {
        var table = new Table().RoundedBorder();
        for (int i = 0; i < columns.Length; i++)
        {
            var column = new TableColumn(Markup.Escape(columns[i]));
            table.AddColumn(i == 0 ? column.LeftAligned() : column.RightAligned());
        }
        foreach (var row in rows) table.AddRow(row.Select(c => new Text(c)).ToArray());
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        console.Write(table);
        return writer.ToString().TrimEnd();
    }
}
