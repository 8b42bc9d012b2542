namespace ConsistencyModels.Tool.Tests;

/// <summary>Files of the repository the tests read (tests/data), found above the test binaries.</summary>
internal static class RepoFiles
{
    public static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"{relative} not found above {AppContext.BaseDirectory}");
        return "";
    }
}
