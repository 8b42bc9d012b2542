using Microsoft.CodeAnalysis;

namespace ConsistencyModels.Analyzers.Tests;

/// <summary>The analyzer's list of Scalar-creating TorchSharp members is exactly what TorchSharp's IL says.</summary>
public class TorchSharpScalarScanTests
{
    private static readonly Lazy<IReadOnlyList<string>> Scanned = new(() => TorchSharpScalarScan.Scan(AnalyzerHarness.TorchSharpPath));

    [Test]
    public void EmbeddedListIsTheScanOfTheReferencedTorchSharp()
    {
        var scanned = Scanned.Value;
        var embedded = ScalarLifetimeAnalyzer.LoadCreators().OrderBy(s => s, StringComparer.Ordinal).ToList();
        if (Environment.GetEnvironmentVariable("CM_UPDATE_SCALAR_LIST") == "1" && !scanned.SequenceEqual(embedded))
        {
            string path = Path.Combine(RepositoryRoot(), "src", "ConsistencyModels.Analyzers", "TorchSharpScalarCreators.txt");
            File.WriteAllLines(path, Header().Concat(scanned));
            Assert.Fail($"wrote {scanned.Count} members to {path}: rebuild and run again.");
        }
        Assert.That(embedded, Is.EqualTo(scanned),
            "TorchSharpScalarCreators.txt is stale for this TorchSharp: run these tests with CM_UPDATE_SCALAR_LIST=1 to regenerate it.");
    }

    [TestCase("M:TorchSharp.torch.Tensor.add(TorchSharp.torch.Tensor)")]
    [TestCase("M:TorchSharp.torch.Tensor.add_(TorchSharp.torch.Tensor)")]
    [TestCase("M:TorchSharp.torch.Tensor.add(TorchSharp.Scalar)")]
    [TestCase("M:TorchSharp.torch.Tensor.op_Addition(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)")]
    [TestCase("M:TorchSharp.Modules.Adam.step(System.Func{TorchSharp.torch.Tensor})")]
    public void ScanFindsTheKnownHiddenScalars(string id) => Assert.That(Scanned.Value, Does.Contain(id));

    [TestCase("M:TorchSharp.torch.Tensor.add(TorchSharp.torch.Tensor,TorchSharp.Scalar)")]
    [TestCase("M:TorchSharp.torch.Tensor.mul(TorchSharp.Scalar)")]
    [TestCase("M:TorchSharp.torch.Tensor.sub(TorchSharp.torch.Tensor)")]
    [TestCase("M:TorchSharp.torch.Tensor.op_Multiply(TorchSharp.torch.Tensor,TorchSharp.torch.Tensor)")]
    [TestCase("M:TorchSharp.ScalarExtensionMethods.ToScalar(System.Double)")]
    public void ScanLeavesSafeMembersOut(string id) => Assert.That(Scanned.Value, Does.Not.Contain(id));

    [Test]
    public void EveryListedIdNamesATorchSharpMember()
    {
        var compilation = AnalyzerHarness.Compile("class C { }");
        var unresolved = Scanned.Value.Where(id => DocumentationCommentId.GetFirstSymbolForDeclarationId(id, compilation) is null).ToList();
        Assert.That(unresolved, Is.Empty, "IDs the compiler cannot resolve (the analyzer would never match them)");
        Assert.That(Scanned.Value, Has.Count.GreaterThan(100));
    }

    private static IEnumerable<string> Header() =>
    [
        "# TorchSharp members that create a Scalar they do not keep alive (implicit conversion or ToScalar inside,",
        "# directly or through the members they call), generated from TorchSharp.dll's IL by",
        "# tests/ConsistencyModels.Analyzers.Tests/TorchSharpScalarScan.cs (CM_UPDATE_SCALAR_LIST=1). Do not edit.",
    ];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ConsistencyModels.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("ConsistencyModels.sln not found above the test directory.");
    }
}
