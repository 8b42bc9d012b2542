using System.Text.Json.Nodes;
using ScottPlot;

/// <summary>The viewer's resident memory over a long headless run (stats.json "memory" of TextureViewer), warm-up marked.</summary>
internal static class ViewerSoak
{
    public static int Draw(JsonObject stats, string path)
    {
        if (stats["memory"]?["samples"] is not JsonArray samples || samples.Count < 2) return 0;
        var frames = samples.Select(s => (double)s![0]!).ToArray();
        var rss = samples.Select(s => (double)s![1]!).ToArray();
        var managed = samples.Select(s => (double)s![2]!).ToArray();
        var plot = new Plot();
        var r = plot.Add.Scatter(frames, rss);
        r.LegendText = "resident set (RSS)";
        r.MarkerSize = 0;
        r.LineWidth = 2;
        var m = plot.Add.Scatter(frames, managed);
        m.LegendText = "managed heap";
        m.MarkerSize = 0;
        m.LineWidth = 2;
        var warmup = (double?)stats["memory"]!["warmupFrames"];
        if (warmup is { } w)
        {
            var line = plot.Add.VerticalLine(w);
            line.LineColor = Colors.Gray;
            line.LinePattern = LinePattern.Dotted;
            line.Text = "end of warm-up";
        }
        var growth = (double?)stats["memory"]!["growthAfterWarmupPercent"];
        var deviation = (double?)stats["memory"]!["maxDeviationAfterWarmupPercent"];
        var source = ((string?)stats["source"] ?? "").Split([',', '('])[0].Trim();
        plot.Title($"viewer soak ({source}): {frames[^1] + 1:0} frames in {(double?)stats["seconds"]:0} s, "
            + $"RSS after warm-up {growth:+0.00;-0.00} % (max {deviation:0.00} %)");
        plot.XLabel("frame");
        plot.YLabel("MB");
        plot.Axes.SetLimitsY(0, rss.Max() * 1.15);
        plot.ShowLegend(Alignment.LowerRight);
        Plots.Save(plot, path, 1000, 480);
        return 1;
    }
}
