using System.Buffers.Binary;
using System.Text;
using ConsistencyModels.Data;
using ConsistencyModels.Fetching;
using ConsistencyModels.Imaging;

namespace ConsistencyModels.Tests.Fetching;

/// <summary>The Freedoom flat extractor on WADs built here (exact pixels through the palette) and on broken ones.</summary>
public class FreedoomFlatTests
{
    private string dir = null!;

    [SetUp]
    public void MakeDir() => dir = Path.Combine(Path.GetTempPath(), "cm-freedoom-test-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void RemoveDir()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    // A WAD: header, lumps in order, directory at the end.
    private static byte[] Wad(params (string Name, byte[] Data)[] lumps)
    {
        var body = new MemoryStream();
        body.Write(new byte[12]);
        var entries = new List<(int Offset, int Size, string Name)>();
        foreach (var (name, data) in lumps)
        {
            entries.Add(((int)body.Position, data.Length, name));
            body.Write(data);
        }
        int directory = (int)body.Position;
        foreach (var (offset, size, name) in entries)
        {
            var e = new byte[16];
            BinaryPrimitives.WriteInt32LittleEndian(e, offset);
            BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(4), size);
            Encoding.ASCII.GetBytes(name).CopyTo(e, 8);
            body.Write(e);
        }
        var bytes = body.ToArray();
        Encoding.ASCII.GetBytes("IWAD").CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), lumps.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), directory);
        return bytes;
    }

    private static byte[] Palette()
    {
        var p = new byte[768 * 2]; // PLAYPAL holds 14 palettes; only the first counts
        for (int i = 0; i < 256; i++) { p[3 * i] = (byte)i; p[3 * i + 1] = (byte)(255 - i); p[3 * i + 2] = (byte)(i * 7); }
        p.AsSpan(768).Fill(1);
        return p;
    }

    private static byte[] Flat(Func<int, int, int> index)
    {
        var f = new byte[64 * 64];
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++) f[64 * y + x] = (byte)index(x, y);
        return f;
    }

    [Test]
    public void FlatsBecomePngsThroughThePaletteOneFolderPerFamily()
    {
        var wad = Wad(("PLAYPAL", Palette()), ("STARTAN", new byte[100]), ("F_START", []),
            ("RROCK01", Flat((x, y) => x + y)), ("RROCK02", Flat((x, y) => 3)), ("FLOOR0_1", Flat((x, y) => x ^ y)),
            ("F_SKY1", Flat((x, y) => 0)), ("F_END", []), ("NOTFLAT", Flat((x, y) => 9)));
        var counts = FreedoomFlatFetcher.ExtractFlats(wad, "test.wad", dir);
        Assert.That(counts, Is.EqualTo(new Dictionary<string, int> { ["FLOOR"] = 1, ["RROCK"] = 2 }));
        Assert.That(File.Exists(Path.Combine(dir, "RROCK", "RROCK01.png")), Is.True);
        Assert.That(Directory.GetFiles(dir, "*.png", SearchOption.AllDirectories).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "RROCK01.png", "RROCK02.png", "FLOOR0_1.png" }), "sky, markers and lumps outside F_START/F_END are skipped");

        var image = ImageIO.LoadPlanar(Path.Combine(dir, "FLOOR", "FLOOR0_1.png"));
        Assert.That((image.Width, image.Height), Is.EqualTo((64, 64)));
        // Pixel (x = 5, y = 2): index 5 ^ 2 = 7 → palette (7, 248, 49), in [-1, 1] as the loader maps bytes.
        int plane = 64 * 64, at = 2 * 64 + 5;
        float Unit(int b) => b / 127.5f - 1f;
        Assert.That(image.Data[at], Is.EqualTo(Unit(7)).Within(1e-6));
        Assert.That(image.Data[plane + at], Is.EqualTo(Unit(248)).Within(1e-6));
        Assert.That(image.Data[2 * plane + at], Is.EqualTo(Unit(49)).Within(1e-6));
        // The folder loads as a class-folder dataset: one class per family.
        var dataset = TextureDataset.Load(dir);
        Assert.That(dataset.ClassNames, Is.EquivalentTo(new[] { "FLOOR", "RROCK" }));
    }

    [TestCase("RROCK05", "RROCK")]
    [TestCase("FLOOR0_1", "FLOOR")]
    [TestCase("F_SKY1", "F")]
    [TestCase("AQF012", "AQF")]
    [TestCase("123", "123")]
    public void FamilyIsTheLeadingLetters(string name, string family) =>
        Assert.That(FreedoomFlatFetcher.Family(name), Is.EqualTo(family));

    [Test]
    public void BrokenWadsAreOneLineErrors()
    {
        var e = Assert.Throws<DataException>(() => FreedoomFlatFetcher.ExtractFlats(Encoding.ASCII.GetBytes("PK\x03\x04........"), "x.wad", dir));
        Assert.That(e!.Message, Does.Contain("x.wad: not a WAD file"));

        var wad = Wad(("PLAYPAL", Palette()), ("F_START", []), ("A1", Flat((x, y) => 1)), ("F_END", []));
        BinaryPrimitives.WriteInt32LittleEndian(wad.AsSpan(4), 1000); // more entries than the file holds
        e = Assert.Throws<DataException>(() => FreedoomFlatFetcher.ExtractFlats(wad, "y.wad", dir));
        Assert.That(e!.Message, Does.Contain("lies outside the file"));

        e = Assert.Throws<DataException>(() => FreedoomFlatFetcher.ExtractFlats(Wad(("F_START", []), ("A1", Flat((x, y) => 1)), ("F_END", [])), "z.wad", dir));
        Assert.That(e!.Message, Does.Contain("no PLAYPAL"));

        e = Assert.Throws<DataException>(() => FreedoomFlatFetcher.ExtractFlats(Wad(("PLAYPAL", Palette())), "w.wad", dir));
        Assert.That(e!.Message, Does.Contain("no 64×64 flats"));
    }
}
