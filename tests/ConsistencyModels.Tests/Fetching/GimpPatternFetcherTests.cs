using ConsistencyModels.Tests.Data;
using ConsistencyModels.Fetching;
using ConsistencyModels.Data;

namespace ConsistencyModels.Tests.Fetching;

public class GimpPatternFetcherTests
{
    [Test]
    public void CopyPatternsKeepsCategoriesAndCountsThem()
    {
        string src = TestFiles.TempDir(), dst = TestFiles.TempDir();
        try
        {
            var pat = TestFiles.Pattern("p", 2, 2, 1, new byte[4]);
            Directory.CreateDirectory(Path.Combine(src, "Stone"));
            Directory.CreateDirectory(Path.Combine(src, "Sky"));
            Directory.CreateDirectory(Path.Combine(src, "Empty"));
            File.WriteAllBytes(Path.Combine(src, "Stone", "a.pat"), pat);
            File.WriteAllBytes(Path.Combine(src, "Stone", "b.pat"), pat);
            File.WriteAllBytes(Path.Combine(src, "Stone", "readme.txt"), [1]);
            File.WriteAllBytes(Path.Combine(src, "Sky", "c.pat"), pat);
            File.WriteAllBytes(Path.Combine(src, "top.pat"), pat);
            var counts = GimpPatternFetcher.CopyPatterns(src, Path.Combine(dst, "out"));
            Assert.That(counts, Is.EquivalentTo(new Dictionary<string, int> { ["Stone"] = 2, ["Sky"] = 1, [GimpPatternFetcher.RootCategory] = 1 }));
            Assert.That(File.ReadAllBytes(Path.Combine(dst, "out", "Stone", "b.pat")), Is.EqualTo(pat));
            Assert.That(File.Exists(Path.Combine(dst, "out", "Stone", "readme.txt")), Is.False);
            Assert.That(Directory.Exists(Path.Combine(dst, "out", "Empty")), Is.False);
        }
        finally
        {
            Directory.Delete(src, true);
            Directory.Delete(dst, true);
        }
    }

    [Test]
    public void CopyPatternsFromAFolderWithoutPatternsFailsNamingIt()
    {
        string src = TestFiles.TempDir();
        try
        {
            var ex = Assert.Throws<DataException>(() => GimpPatternFetcher.CopyPatterns(src, Path.Combine(src, "out")));
            Assert.That(ex!.Message, Does.Contain(src));
        }
        finally
        {
            Directory.Delete(src, true);
        }
    }

    [Test]
    [NonParallelizable]
    public void FetchWithoutAptGetOnPathSaysSo()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        string empty = TestFiles.TempDir();
        try
        {
            Environment.SetEnvironmentVariable("PATH", empty);
            var ex = Assert.Throws<DataException>(() => GimpPatternFetcher.Fetch(Path.Combine(empty, "out")));
            Assert.That(ex!.Message, Does.Contain("apt-get"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
            Directory.Delete(empty, true);
        }
    }

    [Test]
    public void FetchedDefaultCategoriesLoadAsThirtyClassesIfPresent()
    {
        const string root = "/work/data/gimp-patterns";
        if (!Directory.Exists(Path.Combine(root, "Stone")))
            Assert.Ignore($"{root} not present (run the GIMP pattern fetch).");
        var ds = TextureDataset.Load(root, new TextureDatasetOptions { Categories = TextureDatasetOptions.DefaultGimpCategories });
        // gimp-data 2.10.34: Stone 15, Water 4, Sky 3, Animal 2, Food 2, Paper 2, Fabric 1, Plant 1.
        Assert.That(ds.ClassNames, Has.Count.EqualTo(30));
        Assert.That(ds.ClassNames, Does.Contain("Pink Marble").And.Contain("Burlap").And.Not.Contain("Walnut"));
    }
}
