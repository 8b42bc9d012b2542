using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ConsistencyModels.Runtime.Tests;

/// <summary>
/// Every ```csharp block of the top-level README.md compiles as a fresh console app would compile it (implicit usings of
/// `dotnet new console`, nullable on) against the runtime and its dependencies: read from the README itself, so the
/// documented code cannot drift from the API.
/// </summary>
public class ReadmeSnippetTests
{
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static string Readme()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(path) && File.Exists(Path.Combine(dir.FullName, "ConsistencyModels.sln"))) return path;
        }
        throw new FileNotFoundException("README.md of the repository not found above the test directory");
    }

    public static IEnumerable<TestCaseData> Snippets()
    {
        var text = File.ReadAllText(Readme());
        var blocks = Regex.Matches(text, "^```csharp\\s*\\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline);
        int i = 0;
        foreach (Match m in blocks)
        {
            var line = text[..m.Index].Count(c => c == '\n') + 1;
            yield return new TestCaseData(m.Groups[1].Value).SetName($"ReadmeSnippetCompiles(block {++i}, line {line})");
        }
    }

    [Test]
    public void TheReadmeHasSnippets() => Assert.That(Snippets().Count(), Is.GreaterThanOrEqualTo(2));

    [TestCaseSource(nameof(Snippets))]
    public void ReadmeSnippetCompiles(string code)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(code, parse, path: "README.md"),
            CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), parse, path: "ImplicitUsings.cs"),
        };
        bool topLevel = trees[0].GetRoot().ChildNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.GlobalStatementSyntax>().Any();
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("ReadmeSnippet", trees, references,
            new CSharpCompilationOptions(topLevel ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToArray();
        Assert.That(problems, Is.Empty, "the README snippet does not compile cleanly:\n" + code);
        Assert.That(result.Success, Is.True);
    }
}
