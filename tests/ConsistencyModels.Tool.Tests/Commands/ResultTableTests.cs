using ConsistencyModels.Platform;
using ConsistencyModels.Tool.Commands;
using TorchSharp;

namespace ConsistencyModels.Tool.Tests.Commands;

public class ResultTableTests
{
    [Test]
    public void MarkdownPadsAndRightAlignsNumbers()
    {
        var table = new ResultTable("metric", "value");
        table.AddRow("SWD", ResultTable.Number(1.23456, "F2"));
        table.AddRow("seam error", ResultTable.Number(double.NaN));
        Assert.That(table.ToMarkdown(), Is.EqualTo(string.Join(Environment.NewLine,
            "| metric     | value |",
            "| ---------- | ----: |",
            "| SWD        |  1.23 |",
            "| seam error |   nan |")));
    }

    [Test]
    public void SpectreTextHasEveryCell()
    {
        var table = new ResultTable("a", "b");
        table.AddRow("x", "12.5");
        string text = table.ToSpectreText();
        Assert.That(text, Does.Contain("12.5").And.Contain("x").And.Contain("╭"));
    }

    [Test]
    public void OdeErrorIsTheMeanPerSampleRms()
    {
        // Sample 0 differs by 1 everywhere, sample 1 by 2 at half the values and 0 elsewhere: RMS 1 and √2.
        using var a = torch.zeros(2, 3, 2, 2);
        using var b = torch.zeros(2, 3, 2, 2);
        b[0].FillInPlace(1);
        b[1, .., 0].FillInPlace(2);
        Assert.That(OdeError.Compute(a, b), Is.EqualTo((1 + Math.Sqrt(2)) / 2).Within(1e-12));
        Assert.That(OdeError.Compute(b, b), Is.EqualTo(0));
    }
}
