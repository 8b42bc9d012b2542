using System.Buffers.Binary;
using System.Text;
using ConsistencyModels.IO;
using ConsistencyModels.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.IO;

public class SafetensorsTests
{
    private string dir = "";

    [SetUp]
    public void SetUp()
    {
        dir = Path.Combine(Path.GetTempPath(), "cm-st-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    /// <summary>Builds a file by hand: u64 LE length, header text, data bytes.</summary>
    internal static byte[] RawFile(string header, byte[] data, ulong? declaredLength = null) =>
        RawFile(Encoding.UTF8.GetBytes(header), data, declaredLength);

    /// <summary>Builds a file from raw header bytes.</summary>
    internal static byte[] RawFile(byte[] h, byte[] data, ulong? declaredLength = null)
    {
        var result = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, declaredLength ?? (ulong)h.Length);
        h.CopyTo(result, 8);
        data.CopyTo(result, 8 + h.Length);
        return result;
    }

    private static SafetensorsContent LoadBytes(byte[] bytes) => Safetensors.Load(new MemoryStream(bytes), "test.safetensors");

    [Test]
    public void WritesTheExactReferenceLayout()
    {
        using var a = tensor(new float[] { 1f, -2f });
        using var b = tensor(new short[] { 7 });
        var ms = new MemoryStream();
        Safetensors.Write(ms, new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a }, new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = ms.ToArray();
        string json = "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[8,10]}}";
        int padded = (json.Length + 7) / 8 * 8;
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(bytes), Is.EqualTo((ulong)padded));
        Assert.That(Encoding.UTF8.GetString(bytes, 8, padded), Is.EqualTo(json + new string(' ', padded - json.Length)));
        byte[] data = bytes[(8 + padded)..];
        Assert.That(data, Is.EqualTo(new byte[] { 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 7, 0 }));
    }

    [Test]
    public void ReadsAHandWrittenFileInAnyKeyOrder()
    {
        // As another writer might produce it: data order differs from key order, no metadata, no padding.
        byte[] data = [1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];
        string header = "{\"z\":{\"shape\":[2],\"data_offsets\":[0,8],\"dtype\":\"I32\"},\"y\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        using var c = LoadBytes(RawFile(header, data));
        Assert.That(c.Tensors["z"].data<int>().ToArray(), Is.EqualTo(new[] { 1, -1 }));
        Assert.That(c.Tensors["y"].shape, Is.Empty);
        Assert.That(c.Tensors["y"].item<double>(), Is.EqualTo(1.0));
        Assert.That(c.Metadata, Is.Empty);
    }

    [Test]
    public void RoundTripsEveryDTypeAndTheMetadata()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["f64"] = tensor(new[] { 1.5, -2.25, double.MaxValue }),
            ["f32"] = randn(2, 3, 4),
            ["f16"] = randn(5).to(ScalarType.Float16),
            ["bf16"] = randn(2, 2).to(ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { long.MinValue, 0, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 42 }),
            ["i16"] = tensor(new short[] { -3 }),
            ["i8"] = tensor(new sbyte[] { -128, 127 }),
            ["u8"] = tensor(new byte[] { 0, 255, 9 }).reshape(3, 1),
            ["bool"] = tensor(new[] { true, false, true }),
            ["empty"] = zeros(0, 4),
            ["noncontig"] = randn(3, 4).t(),
        };
        var meta = new Dictionary<string, string> { ["a"] = "ünïcödé ✓", ["json"] = "{\"x\": [1, 2]}", ["empty"] = "" };
        string path = Path.Combine(dir, "m.safetensors");
        Safetensors.Save(path, tensors, meta);
        Assert.That(new FileInfo(path).Length % 8, Is.EqualTo(0).Or.Not.EqualTo(0)); // any length is fine
        Assert.That(Safetensors.ReadHeader(path).DataStart % 8, Is.EqualTo(0), "data section is 8-byte aligned");
        using var loaded = Safetensors.Load(path);
        Assert.That(loaded.Metadata, Is.EquivalentTo(meta));
        Assert.That(loaded.Tensors.Keys, Is.EquivalentTo(tensors.Keys));
        foreach (var (name, t) in tensors)
        {
            var u = loaded.Tensors[name];
            Assert.That(u.dtype, Is.EqualTo(t.dtype), name);
            Assert.That(u.shape, Is.EqualTo(t.shape), name);
            using var tc = t.contiguous();
            Assert.That(u.bytes.ToArray(), Is.EqualTo(tc.bytes.ToArray()), name);
        }
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Test]
    public void SavingTheSameTensorsTwiceGivesIdenticalFiles()
    {
        using var a = randn(3, 3);
        using var b = ScalarArithmetic.Arange(5);
        string p1 = Path.Combine(dir, "1.safetensors"), p2 = Path.Combine(dir, "2.safetensors");
        Safetensors.Save(p1, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });
        Safetensors.Save(p2, new Dictionary<string, Tensor> { ["b"] = b, ["a"] = a });
        Assert.That(File.ReadAllBytes(p2), Is.EqualTo(File.ReadAllBytes(p1)));
        Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(2), "no temporary files left behind");
    }

    [Test]
    public void SaveReplacesAnExistingFile()
    {
        string p = Path.Combine(dir, "m.safetensors");
        File.WriteAllText(p, "old");
        using var a = ones(2);
        Safetensors.Save(p, new Dictionary<string, Tensor> { ["a"] = a });
        using var c = Safetensors.Load(p);
        Assert.That(c.Tensors["a"].data<float>().ToArray(), Is.EqualTo(new[] { 1f, 1f }));
    }

    [Test]
    public void WriterRejectsReservedNamesAndUnsupportedTypes()
    {
        using var a = ones(1);
        using var z = ones(1, dtype: ScalarType.ComplexFloat32);
        Assert.Throws<ArgumentException>(() => Safetensors.Write(new MemoryStream(), new Dictionary<string, Tensor> { ["__metadata__"] = a }));
        Assert.Throws<ArgumentException>(() => Safetensors.Write(new MemoryStream(), new Dictionary<string, Tensor> { [""] = a }));
        Assert.Throws<ArgumentException>(() => Safetensors.Write(new MemoryStream(), new Dictionary<string, Tensor> { ["z"] = z }));
    }

    [Test]
    public void LoadsFromANonSeekableStream()
    {
        using var a = tensor(new float[] { 3, 4 });
        var ms = new MemoryStream();
        Safetensors.Write(ms, new Dictionary<string, Tensor> { ["a"] = a });
        using var c = Safetensors.Load(new NonSeekableStream(ms.ToArray()), "pipe");
        Assert.That(c.Tensors["a"].data<float>().ToArray(), Is.EqualTo(new[] { 3f, 4f }));
    }

    [Test]
    public void MissingFileGivesFileNotFound()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => Safetensors.Load(Path.Combine(dir, "nope.safetensors")));
        Assert.That(ex!.Message, Does.Contain("nope.safetensors"));
    }

    private const string T4 = "\"dtype\":\"F32\",\"shape\":[1]";

    /// <summary>Each corrupt file with a fragment its message must contain.</summary>
    internal static IEnumerable<TestCaseData> CorruptFiles()
    {
        byte[] d4 = new byte[4], d8 = new byte[8];
        TestCaseData Case(string name, byte[] file, string expected) => new TestCaseData(file, expected).SetName("Rejects_" + name);
        yield return Case("Empty", [], "shorter than the 8-byte header length");
        yield return Case("ShortLength", [1, 0, 0], "shorter than the 8-byte header length");
        yield return Case("ZeroHeaderLength", RawFile("", d4), "header length is 0");
        yield return Case("HeaderLengthAboveLimit", RawFile("{}", [], declaredLength: 200_000_000), "exceeds the limit");
        yield return Case("HeaderLengthHuge", RawFile("{}", [], declaredLength: ulong.MaxValue), "exceeds the limit");
        yield return Case("HeaderLengthBeyondFile", RawFile("{}", [], declaredLength: 50), "truncated");
        yield return Case("TruncatedData", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[0,4]}}}}", [1, 2]), "outside the 2-byte data section");
        yield return Case("BadJson", RawFile("{\"a\":", d4), "not valid JSON");
        yield return Case("NotUtf8", RawFile([.. "{\"a"u8, 0xff, 0xfe, .. "\":1}"u8], []), "UTF-8");
        yield return Case("NotAnObject", RawFile("[1,2]", []), "must be a JSON object");
        yield return Case("DuplicateTensor", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[0,4]}},\"a\":{{{T4},\"data_offsets\":[4,8]}}}}", d8), "key 'a' twice");
        yield return Case("DuplicateMetadata", RawFile("{\"__metadata__\":{},\"__metadata__\":{}}", []), "twice");
        yield return Case("DuplicateMetadataKey", RawFile("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", []), "'k' twice");
        yield return Case("MetadataNotString", RawFile("{\"__metadata__\":{\"k\":1}}", []), "must be a string");
        yield return Case("Overlap", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[0,4]}},\"b\":{{{T4},\"data_offsets\":[2,6]}}}}", d8), "overlaps");
        yield return Case("SameOffsets", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[0,4]}},\"b\":{{{T4},\"data_offsets\":[0,4]}}}}", d4), "overlaps");
        yield return Case("Gap", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[4,8]}}}}", d8), "gap of 4");
        yield return Case("OutOfRange", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[0,4]}},\"b\":{{{T4},\"data_offsets\":[4,8]}}}}", d4), "outside the 4-byte data section");
        yield return Case("TrailingData", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[0,4]}}}}", d8), "cover only 4 bytes");
        yield return Case("WrongSize", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d8), "needs 12 bytes");
        yield return Case("EndBeforeBegin", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", d4), "before begin");
        yield return Case("NegativeDim", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d4), "negative");
        yield return Case("NegativeOffset", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", d4), "negative");
        yield return Case("FractionalDim", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", d4), "integers");
        yield return Case("HugeShape", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", d4), "too large");
        yield return Case("UnknownDType", RawFile("{\"a\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", [0]), "unsupported dtype 'F8'");
        yield return Case("MissingOffsets", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", d4), "no data_offsets");
        yield return Case("ThreeOffsets", RawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", d4), "[begin, end]");
        yield return Case("UnknownField", RawFile($"{{\"a\":{{{T4},\"data_offsets\":[0,4],\"x\":1}}}}", d4), "unknown field 'x'");
        yield return Case("TensorNotObject", RawFile("{\"a\":3}", []), "must be an object");
        yield return Case("EmptyName", RawFile($"{{\"\":{{{T4},\"data_offsets\":[0,4]}}}}", d4), "empty name");
    }

    [TestCaseSource(nameof(CorruptFiles))]
    public void CorruptFileIsRejectedWithAClearMessage(byte[] file, string expected)
    {
        var ex = Assert.Throws<SafetensorsFormatException>(() => LoadBytes(file).Dispose());
        Assert.That(ex!.Message, Does.StartWith("test.safetensors: not a valid safetensors file:"));
        Assert.That(ex.Message, Does.Contain(expected));
    }

    [Test]
    public void CorruptFilesOnDiskNameTheFile()
    {
        string p = Path.Combine(dir, "broken.safetensors");
        File.WriteAllBytes(p, RawFile("{\"a\":", []));
        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(p).Dispose());
        Assert.That(ex!.Message, Does.Contain(p));
        Assert.Throws<SafetensorsFormatException>(() => Safetensors.ReadHeader(p));
    }

    [Test]
    public void RandomByteMutationsOnlyEverCauseSafetensorsFormatException()
    {
        using var a = randn(2, 3);
        using var b = tensor(new long[] { 1, 2, 3 });
        using var c = ones(4, dtype: ScalarType.Float16);
        var ms = new MemoryStream();
        Safetensors.Write(ms, new Dictionary<string, Tensor> { ["alpha"] = a, ["beta"] = b, ["c"] = c }, new Dictionary<string, string> { ["k"] = "v" });
        byte[] valid = ms.ToArray();
        var rng = new Random(12345);
        int rejected = 0, accepted = 0;
        for (int iter = 0; iter < 3000; iter++)
        {
            byte[] f = (byte[])valid.Clone();
            switch (rng.Next(4))
            {
                case 0: // flip random bytes, mostly in the header
                    for (int k = rng.Next(1, 4); k > 0; k--)
                        f[rng.Next(Math.Min(f.Length, 8 + 160))] = (byte)rng.Next(256);
                    break;
                case 1: // replace a byte with a JSON-significant character
                    const string special = "{}[],:\"0123456789- ";
                    f[rng.Next(8, f.Length)] = (byte)special[rng.Next(special.Length)];
                    break;
                case 2: // truncate
                    Array.Resize(ref f, rng.Next(f.Length));
                    break;
                default: // append garbage
                    Array.Resize(ref f, f.Length + rng.Next(1, 16));
                    break;
            }
            try
            {
                using var loaded = LoadBytes(f);
                accepted++;
            }
            catch (SafetensorsFormatException)
            {
                rejected++;
            }
        }
        Assert.That(rejected, Is.GreaterThan(1000));
        Assert.That(accepted, Is.GreaterThan(0), "mutations of the data bytes alone are still valid files");
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
