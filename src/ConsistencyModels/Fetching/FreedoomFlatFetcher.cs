using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using ConsistencyModels.Data;

namespace ConsistencyModels.Fetching;

/// <summary>
/// A permissively licensed texture set: the floor and ceiling textures ("flats") of Freedoom, from the Debian package
/// <c>freedoom</c> (BSD-3-Clause: Debian's copyright file for the package). A flat is a seamless 64×64 colour texture,
/// stored in the game's WAD file as 4096 palette indices between the <c>F_START</c>/<c>F_END</c> (or <c>FF_*</c>)
/// markers, the palette being the first 768 bytes of the <c>PLAYPAL</c> lump. Each flat becomes
/// <c>&lt;family&gt;/&lt;NAME&gt;.png</c>, the family being the letters its name starts with (RROCK, SLIME, FLOOR, ...),
/// one class per family for <see cref="TextureDataset"/>; Debian's copyright file is copied beside them as
/// <c>COPYRIGHT-freedoom.txt</c> (the BSD licence asks for the notice to travel with the work). A model trained only on
/// them may be shipped under those terms, unlike one trained on GIMP's GPL-3+ patterns.
/// </summary>
public static partial class FreedoomFlatFetcher
{
    /// <summary>The Debian package holding the WAD files.</summary>
    public const string PackageName = "freedoom";

    /// <summary>The WAD read (Freedoom Phase 2 carries every flat of Phase 1 and more).</summary>
    public const string WadSubpath = "usr/share/games/doom/freedoom2.wad";

    /// <summary>Debian's copyright file of the package, copied beside the textures.</summary>
    public const string CopyrightSubpath = "usr/share/doc/freedoom/copyright";

    /// <summary>The notice file written into the target folder.</summary>
    public const string NoticeFile = "COPYRIGHT-freedoom.txt";

    /// <summary>Flat size: 64×64 palette indices.</summary>
    public const int FlatSize = 64;

    // Placeholders, not textures: the sky marker and the engine's dummy flats.
    private static readonly string[] Skipped = ["F_SKY1", "DUMMY1", "DUMMY2", "DUMMY3"];

    /// <summary>Downloads and unpacks the package (apt-get download + dpkg -x in a temporary folder), writes its flats
    /// as PNGs into <paramref name="targetDir"/> and returns the number per family.</summary>
    /// <exception cref="DataException">apt-get or dpkg missing, the download or extraction failed, or the WAD is unreadable.</exception>
    public static IReadOnlyDictionary<string, int> Fetch(string targetDir, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetDir);
        string aptGet = GimpPatternFetcher.FindTool("apt-get");
        string dpkg = GimpPatternFetcher.FindTool("dpkg");
        string tmp = Path.Combine(Path.GetTempPath(), "cm-freedoom-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            log?.Invoke($"apt-get download {PackageName} into {tmp}");
            GimpPatternFetcher.Run(aptGet, ["download", PackageName], tmp);
            var deb = Directory.GetFiles(tmp, "*.deb").FirstOrDefault()
                ?? throw new DataException($"apt-get download {PackageName} produced no .deb file in {tmp}.", tmp);
            string extract = Path.Combine(tmp, "root");
            log?.Invoke($"dpkg -x {Path.GetFileName(deb)}");
            GimpPatternFetcher.Run(dpkg, ["-x", deb, extract], tmp);
            string wad = Path.Combine(extract, WadSubpath);
            if (!File.Exists(wad)) throw new DataException($"Package {Path.GetFileName(deb)} has no {WadSubpath}.", deb);
            var counts = ExtractFlats(File.ReadAllBytes(wad), wad, targetDir);
            string copyright = Path.Combine(extract, CopyrightSubpath);
            if (File.Exists(copyright)) File.Copy(copyright, Path.Combine(targetDir, NoticeFile), overwrite: true);
            log?.Invoke($"wrote {counts.Values.Sum()} flats into {targetDir}");
            return counts;
        }
        finally
        {
            try { Directory.Delete(tmp, recursive: true); }
            catch (IOException) { /* temp leftovers are harmless */ }
        }
    }

    /// <summary>Writes the flats of a WAD file's bytes as <c>&lt;family&gt;/&lt;NAME&gt;.png</c> under
    /// <paramref name="targetDir"/>; returns the count per family. Everything is bounds-checked first (WADs come from
    /// strangers); <paramref name="source"/> names the file in messages.</summary>
    /// <exception cref="DataException">Not a WAD, a directory or lump outside the file, no PLAYPAL, or no flats.</exception>
    public static IReadOnlyDictionary<string, int> ExtractFlats(ReadOnlySpan<byte> wad, string source, string targetDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetDir);
        var lumps = ReadDirectory(wad, source);
        var palette = lumps.FirstOrDefault(l => l.Name == "PLAYPAL");
        if (palette.Name is null || palette.Size < 768)
            throw new DataException($"{source}: no PLAYPAL lump of at least 768 bytes (the palette).", source);
        var rgbPalette = wad.Slice(palette.Offset, 768);

        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool inside = false;
        var rgb = new byte[FlatSize * FlatSize * 3];
        foreach (var lump in lumps)
        {
            if (lump.Name is "F_START" or "FF_START") { inside = true; continue; }
            if (lump.Name is "F_END" or "FF_END") { inside = false; continue; }
            if (!inside || lump.Size != FlatSize * FlatSize || Skipped.Contains(lump.Name) || !seen.Add(lump.Name)) continue;
            var indices = wad.Slice(lump.Offset, lump.Size);
            for (int i = 0; i < indices.Length; i++)
                rgbPalette.Slice(3 * indices[i], 3).CopyTo(rgb.AsSpan(3 * i, 3));
            string family = Family(lump.Name);
            string dir = Path.Combine(targetDir, family);
            Directory.CreateDirectory(dir);
            using (var file = File.Create(Path.Combine(dir, lump.Name + ".png")))
                new StbImageWriteSharp.ImageWriter().WritePng(rgb, FlatSize, FlatSize, StbImageWriteSharp.ColorComponents.RedGreenBlue, file);
            counts[family] = counts.GetValueOrDefault(family) + 1;
        }
        if (counts.Count == 0)
            throw new DataException($"{source}: no 64×64 flats between F_START and F_END.", source);
        return counts;
    }

    /// <summary>The family (class) of a flat: the letters its name starts with ("RROCK05" → "RROCK", "FLOOR0_1" →
    /// "FLOOR"); a name without leading letters is its own family.</summary>
    public static string Family(string name)
    {
        var m = LeadingLetters().Match(name);
        return m.Success ? m.Value : name;
    }

    [GeneratedRegex("^[A-Z]+")]
    private static partial Regex LeadingLetters();

    private readonly record struct Lump(string Name, int Offset, int Size);

    private static List<Lump> ReadDirectory(ReadOnlySpan<byte> wad, string source)
    {
        if (wad.Length < 12) throw new DataException($"{source}: too short for a WAD header ({wad.Length} bytes).", source);
        var magic = Encoding.ASCII.GetString(wad[..4]);
        if (magic is not ("IWAD" or "PWAD")) throw new DataException($"{source}: not a WAD file (magic '{magic}', expected IWAD or PWAD).", source);
        int count = BinaryPrimitives.ReadInt32LittleEndian(wad[4..]);
        int directory = BinaryPrimitives.ReadInt32LittleEndian(wad[8..]);
        if (count < 0 || directory < 12 || (long)directory + 16L * count > wad.Length)
            throw new DataException($"{source}: its directory ({count} entries at byte {directory}) lies outside the file ({wad.Length} bytes).", source);
        var lumps = new List<Lump>(count);
        for (int i = 0; i < count; i++)
        {
            var entry = wad.Slice(directory + 16 * i, 16);
            int offset = BinaryPrimitives.ReadInt32LittleEndian(entry);
            int size = BinaryPrimitives.ReadInt32LittleEndian(entry[4..]);
            var rawName = entry.Slice(8, 8);
            int end = rawName.IndexOf((byte)0);
            string name = Encoding.ASCII.GetString(end < 0 ? rawName : rawName[..end]).ToUpperInvariant();
            if (size < 0 || offset < 0 || (long)offset + size > wad.Length)
                throw new DataException($"{source}: lump {i} '{name}' ({size} bytes at {offset}) lies outside the file.", source);
            lumps.Add(new Lump(name, offset, size));
        }
        return lumps;
    }
}
