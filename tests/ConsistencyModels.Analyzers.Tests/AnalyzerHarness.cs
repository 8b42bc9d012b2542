using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ConsistencyModels.Analyzers.Tests;

/// <summary>Compiles a C# snippet against the real TorchSharp.dll and runs the analyzer on it.</summary>
internal static class AnalyzerHarness
{
    public static string TorchSharpPath => typeof(TorchSharp.Scalar).Assembly.Location;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return platform.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(TorchSharpPath))
            .ToImmutableArray();
    });

    /// <summary>A compilation of the snippet (the usual usings are added); it must compile without errors.</summary>
    public static CSharpCompilation Compile(string body)
    {
        string source = "using System; using TorchSharp; using static TorchSharp.torch;\n" + body;
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create("Snippet", [tree], References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.That(errors, Is.Empty, "the snippet must compile:\n" + source);
        return compilation;
    }

    /// <summary>The analyzer's diagnostics on the snippet, as "ID: source text".</summary>
    public static IReadOnlyList<string> Analyze(string body)
    {
        var compilation = Compile(body);
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new ScalarLifetimeAnalyzer());
        var diagnostics = compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        return diagnostics.OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => d.Id + ": " + d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan))
            .ToList();
    }
}
