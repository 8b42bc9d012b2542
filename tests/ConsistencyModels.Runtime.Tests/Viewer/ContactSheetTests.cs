using TextureViewer;

namespace ConsistencyModels.Runtime.Tests.Viewer;

public class ContactSheetTests
{
    private static byte[] Solid(int width, int height, byte value)
    {
        var rgba = new byte[4 * width * height];
        Array.Fill(rgba, value);
        return rgba;
    }

    [Test]
    public void CellsLandInRowMajorOrderBetweenTwoPixelGaps()
    {
        var sheet = new ContactSheet(3, 2, columns: 2, cells: 3);
        Assert.That((sheet.Width, sheet.Height), Is.EqualTo((2 * 3 + 3 * 2, 2 * 2 + 3 * 2)));
        sheet.Add(Solid(3, 2, 100));
        sheet.Add(Solid(3, 2, 150));
        sheet.Add(Solid(3, 2, 200));
        Assert.That(sheet.IsFull, Is.True);

        byte At(int x, int y) => sheet.Rgba[4 * (y * sheet.Width + x)];
        Assert.That(At(0, 0), Is.EqualTo(24), "gap");
        Assert.That(At(2, 2), Is.EqualTo(100), "cell 0 top-left");
        Assert.That(At(4, 3), Is.EqualTo(100), "cell 0 bottom-right");
        Assert.That(At(5, 2), Is.EqualTo(24), "gap between columns");
        Assert.That(At(7, 2), Is.EqualTo(150), "cell 1");
        Assert.That(At(2, 6), Is.EqualTo(200), "cell 2, second row");
        Assert.That(At(7, 6), Is.EqualTo(24), "the empty fourth cell keeps the background");
        Assert.That(sheet.Rgba[3], Is.EqualTo(255), "opaque background");
    }

    [Test]
    public void AFullSheetAndAShortImageAreRefused()
    {
        var sheet = new ContactSheet(2, 2, columns: 4, cells: 1);
        Assert.That(() => sheet.Add(new byte[15]), Throws.ArgumentException);
        sheet.Add(Solid(2, 2, 7));
        Assert.That(() => sheet.Add(Solid(2, 2, 7)), Throws.InvalidOperationException);
        Assert.That(sheet.Width, Is.EqualTo(2 + 2 * 2), "columns never exceed the cells");
    }

    [Test]
    public void ResidentMemoryMatchesTheRuntimeAndSeesATouchedAllocation()
    {
        using var rss = new ResidentMemory();
        var before = rss.Read();
        Assert.That(before, Is.GreaterThan(1 << 20));
        Assert.That(before, Is.EqualTo(Environment.WorkingSet).Within(64L << 20));
        // Fresh pages: a new anonymous mapping, one byte written per page. (A 64 MB managed array could land in heap
        // space that earlier tests left committed and resident, and then RSS rightly does not grow: that made this flaky.)
        const long size = 64L << 20;
        using var map = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateNew(null, size);
        using var view = map.CreateViewAccessor();
        for (long offset = 0; offset < size; offset += 4096) view.Write(offset, (byte)1);
        var after = rss.Read();
        Assert.That(after - before, Is.GreaterThan(48L << 20), "64 MB written must show up as resident");
    }
}
