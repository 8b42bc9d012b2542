// Draws the plots of docs/RESULTS.md from the measured JSON files (cm eval --json, the runtime benchmark's JSON).
// Usage: dotnet run --project tools/ResultPlots -- [DATA_DIR=docs/data] [IMG_DIR=docs/img]
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ScottPlot;

string dataDir = args.Length > 0 ? args[0] : "docs/data";
string imgDir = args.Length > 1 ? args[1] : "docs/img";
string evalDir = Path.Combine(dataDir, "eval");
if (!Directory.Exists(evalDir))
{
    Console.Error.WriteLine($"error: no eval folder '{evalDir}' (expected cm eval --json files there)");
    return 2;
}
Directory.CreateDirectory(imgDir);
var evals = Directory.GetFiles(evalDir, "*.json")
    .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => JsonNode.Parse(File.ReadAllText(f))!.AsObject());
Console.WriteLine($"{evals.Count} eval files in {evalDir}");

int written = 0;
written += SwdVsNfe.Draw(evals, Path.Combine(imgDir, "swd-vs-nfe.png"), "swd_mean");
written += SwdVsNfe.Draw(evals, Path.Combine(imgDir, "spectrum-vs-nfe.png"), "spectrum_distance");
written += Sweep.Draw(evals, Path.Combine(imgDir, "loss-weighting-sweep.png"));
string bench = Path.Combine(dataDir, "runtime-bench.json");
if (File.Exists(bench))
    written += RuntimeScaling.Draw(JsonNode.Parse(File.ReadAllText(bench))!.AsObject(), Path.Combine(imgDir, "runtime-scaling.png"));
string soak = Path.Combine(dataDir, "viewer-soak.json");
if (File.Exists(soak))
    written += ViewerSoak.Draw(JsonNode.Parse(File.ReadAllText(soak))!.AsObject(), Path.Combine(imgDir, "viewer-soak.png"));
Console.WriteLine($"wrote {written} plot(s) to {imgDir}");
return 0;

/// <summary>Shared helpers: series from eval files named PREFIX-K.json, log2 axes, the real-data floor.</summary>
internal static class Plots
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>(NFE, metric) points of the files named <paramref name="prefix"/>-K, sorted by NFE.</summary>
    public static (double[] Nfe, double[] Swd) Points(Dictionary<string, JsonObject> evals, string prefix, string metric = "swd_mean")
    {
        var rx = new Regex("^" + Regex.Escape(prefix) + @"-\d+$");
        var points = evals.Where(kv => rx.IsMatch(kv.Key))
            .Select(kv => ((double)kv.Value["nfe"]!, (double)kv.Value[metric]!))
            .OrderBy(p => p.Item1).ToArray();
        return (points.Select(p => p.Item1).ToArray(), points.Select(p => p.Item2).ToArray());
    }

    /// <summary>The real-crop floor of <paramref name="metric"/> recorded by any eval run with --real.</summary>
    public static double? Floor(Dictionary<string, JsonObject> evals, string metric = "swd_mean") =>
        evals.Values.Select(e => e["real_floor"]?[metric]).FirstOrDefault(v => v is not null) is { } v ? (double)v : null;

    /// <summary>Ticks at powers of two on a log2-transformed axis.</summary>
    public static void Log2Ticks(IAxis axis, double min, double max)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (double v = min; v <= max * 1.0001; v *= 2)
            ticks.AddMajor(Math.Log2(v), v.ToString("0", Inv));
        axis.TickGenerator = ticks;
    }

    public static void Save(Plot plot, string path, int width = 900, int height = 560)
    {
        plot.SavePng(path, width, height);
        Console.WriteLine($"  {path}");
    }
}

/// <summary>SWD vs NFE: the teacher's solvers and every distilled model, one plot.</summary>
internal static class SwdVsNfe
{
    private static readonly (string Prefix, string Label, bool Teacher)[] Series =
    [
        ("teacher-heun", "teacher Heun", true),
        ("teacher-euler", "teacher Euler", true),
        ("teacher-dpm++2m", "teacher DPM-Solver++(2M)", true),
        ("teacher-stochastic-c5", "teacher stochastic S_churn 5", true),
        ("teacher-stochastic-c40", "teacher stochastic S_churn 40", true),
        ("cd", "CD", false),
        ("ict", "iCT (no teacher)", false),
        ("direct-cd", "Direct CD", false),
        ("progressive", "progressive distillation", false),
        ("rectified-flow", "rectified flow", false),
        ("rectified-vp", "rectified (VP form)", false),
        ("rectified-cd", "rectified flow + CD", false),
    ];

    public static int Draw(Dictionary<string, JsonObject> evals, string path, string metric)
    {
        bool swd = metric == "swd_mean";
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category20();
        int i = 0;
        double maxNfe = 1;
        foreach (var (prefix, label, teacher) in Series)
        {
            var (nfe, values) = Plots.Points(evals, prefix, metric);
            if (nfe.Length == 0) continue;
            maxNfe = Math.Max(maxNfe, nfe.Max());
            var s = plot.Add.Scatter(nfe.Select(Math.Log2).ToArray(), swd ? values : values.Select(Math.Log10).ToArray());
            s.LegendText = label;
            s.Color = palette.GetColor(i < 10 ? 2 * i : 2 * (i - 10) + 1); // the ten dark hues first
            i++;
            s.LineWidth = teacher ? 1.5f : 2.5f;
            s.MarkerSize = teacher ? 6 : 9;
            s.LinePattern = teacher ? LinePattern.Dashed : LinePattern.Solid;
        }
        if (i == 0) return 0;
        if (Plots.Floor(evals, metric) is double floor)
        {
            var line = plot.Add.HorizontalLine(swd ? floor : Math.Log10(floor));
            line.LineColor = Colors.Gray;
            line.LinePattern = LinePattern.Dotted;
            line.LegendText = $"real crops (floor) {floor:G3}";
        }
        Plots.Log2Ticks(plot.Axes.Bottom, 1, Math.Pow(2, Math.Ceiling(Math.Log2(maxNfe))));
        plot.Axes.Bottom.Label.Text = "network evaluations per sample (NFE, log scale)";
        if (swd)
            plot.Axes.Left.Label.Text = "SWD ×10³ (lower is better)";
        else
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (double v in new[] { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0 }) ticks.AddMajor(Math.Log10(v), v.ToString("0.##", Plots.Inv));
            plot.Axes.Left.TickGenerator = ticks;
            plot.Axes.Left.Label.Text = "spectrum distance, decades (log scale, lower is better)";
        }
        plot.Title(swd ? "GIMP patterns, 64² samples: SWD vs sampling cost" : "GIMP patterns, 64² samples: power-spectrum distance vs sampling cost");
        plot.ShowLegend(Edge.Right);
        Plots.Save(plot, path, 1200, 620);
        return 1;
    }
}

/// <summary>CD with each distance and weighting at equal budget: SWD at 1 and 2 steps.</summary>
internal static class Sweep
{
    // "pseudo-huber-truncated-snr" → "pseudo-Huber\ntruncated-snr": the distance, then the weighting.
    private static string Label(string run)
    {
        foreach (var distance in new[] { "pseudo-huber", "l1", "l2" })
            if (run.StartsWith(distance + "-", StringComparison.Ordinal))
                return (distance == "pseudo-huber" ? "pseudo-Huber" : distance) + "\n" + run[(distance.Length + 1)..];
        return run;
    }

    public static int Draw(Dictionary<string, JsonObject> evals, string path)
    {
        var names = evals.Keys.Where(k => k.StartsWith("sweep-", StringComparison.Ordinal) && k.EndsWith("-1", StringComparison.Ordinal))
            .Select(k => k["sweep-".Length..^2]).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        if (names.Length == 0) return 0;
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int n = 0; n < names.Length; n++)
        {
            ticks.AddMajor(n, Label(names[n]));
            for (int steps = 1; steps <= 2; steps++)
                if (evals.TryGetValue($"sweep-{names[n]}-{steps}", out var e))
                {
                    var bar = plot.Add.Bar(position: n + (steps == 1 ? -0.2 : 0.2), value: (double)e["swd_mean"]!);
                    bar.Bars[0].Size = 0.38;
                    bar.Color = palette.GetColor(steps - 1);
                }
        }
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "1 step", FillColor = palette.GetColor(0) });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "2 steps", FillColor = palette.GetColor(1) });
        plot.ShowLegend(Alignment.UpperRight);
        if (Plots.Floor(evals) is double floor)
        {
            var line = plot.Add.HorizontalLine(floor);
            line.LineColor = Colors.Gray;
            line.LinePattern = LinePattern.Dotted;
        }
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.Label.Text = "distance d and weighting λ(σ)";
        plot.Axes.Left.Label.Text = "SWD ×10³ (lower is better)";
        plot.Axes.Margins(bottom: 0);
        plot.Title("CD at equal budget (300 iterations each): loss metric and weighting");
        Plots.Save(plot, path, 1000, 560);
        return 1;
    }
}

/// <summary>Textures per second vs size for each precision and step count (the runtime benchmark's JSON).</summary>
internal static class RuntimeScaling
{
    public static int Draw(JsonObject bench, string path)
    {
        if (bench["throughput"] is not JsonArray rows || rows.Count == 0) return 0;
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        // A variant: precision and forward, and "fixed N threads" for rows whose thread count was not tuned.
        static string Variant(JsonObject r) => $"{(string?)r["precision"] ?? "fp32"} {(string?)r["forward"] ?? "module"}"
            + ((bool?)r["tuned"] == false ? $", fixed {(int?)r["threads"]} threads" : "");
        var groups = rows.Select(r => r!.AsObject())
            .GroupBy(r => (Variant(r), (int)r["steps"]!))
            .OrderBy(g => g.Key.Item2).ThenBy(g => g.Key.Item1);
        var variants = rows.Select(r => Variant(r!.AsObject())).Distinct().Order().ToList();
        double minSize = double.MaxValue, maxSize = 0;
        foreach (var g in groups)
        {
            var pts = g.OrderBy(r => (int)r["size"]!).ToArray();
            double[] xs = pts.Select(r => Math.Log2((int)r["size"]!)).ToArray();
            double[] ys = pts.Select(r => Math.Log2((double)r["texturesPerSecond"]!)).ToArray();
            minSize = Math.Min(minSize, pts.Min(r => (int)r["size"]!));
            maxSize = Math.Max(maxSize, pts.Max(r => (int)r["size"]!));
            var s = plot.Add.Scatter(xs, ys);
            s.LegendText = $"{g.Key.Item1}, {g.Key.Item2} step{(g.Key.Item2 > 1 ? "s" : "")}";
            s.Color = palette.GetColor(variants.IndexOf(g.Key.Item1));
            s.LineWidth = 2;
            s.MarkerSize = 8;
            i++;
            s.LinePattern = g.Key.Item2 == 1 ? LinePattern.Solid : LinePattern.Dashed;
        }
        foreach (double target in new[] { 30.0, 60.0 })
        {
            var line = plot.Add.HorizontalLine(Math.Log2(target));
            line.LineColor = Colors.Gray;
            line.LinePattern = LinePattern.Dotted;
            line.Text = $"{target:0}/s";
            line.LabelOppositeAxis = true;
        }
        var xt = new ScottPlot.TickGenerators.NumericManual();
        for (double v = minSize; v <= maxSize; v *= 2) xt.AddMajor(Math.Log2(v), $"{v:0}²");
        plot.Axes.Bottom.TickGenerator = xt;
        Plots.Log2Ticks(plot.Axes.Left, 1, 128);
        plot.Axes.Bottom.Label.Text = "texture size (pixels)";
        plot.Axes.Left.Label.Text = "textures per second (log scale)";
        plot.Title($"Runtime on the 2-core CPU: {(string?)bench["model"] ?? "model"}, batch 1");
        plot.ShowLegend(Alignment.LowerLeft);
        Plots.Save(plot, path, 900, 560);
        return 1;
    }
}
