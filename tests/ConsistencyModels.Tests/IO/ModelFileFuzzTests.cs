using ConsistencyModels.Training;
using System.Buffers.Binary;
using System.Text;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.IO;

/// <summary>
/// Fuzzing of model files (they come from strangers): random byte flips, truncations and header mutations of one
/// valid safetensors model. The contract (ModelFile.Load): every outcome is a valid load or a
/// <see cref="ModelFormatException"/> (<see cref="SafetensorsFormatException"/> derives from it), never another
/// exception type, a crash or a huge allocation. Seeds are fixed, so a failure reproduces.
/// </summary>
public class ModelFileFuzzTests
{
    private const int CasesPerKind = 1000;

    /// <summary>A small network (about 10 k weights), so a mutation that loads costs a millisecond or two.</summary>
    private static readonly ModelMetadata Metadata = new()
    {
        Kind = ModelKind.Consistency,
        Config = new UNetConfig
        {
            BaseChannels = 4,
            ChannelMultipliers = [1, 2],
            ResBlocksPerLevel = 1,
            AttentionLevels = [1],
            PixelUnshuffleStem = false,
            ClassCount = 2,
        },
        ClassNames = ["a", "b"],
        MultistepTaus = [0.8],
        Method = TrainingMethod.Cd,
    };

    private static byte[] validFile = [];
    private static int headerLength;

    [OneTimeSetUp]
    public void MakeTheValidFile()
    {
        manual_seed(1);
        using var model = ModelFile.CreateModel(Metadata);
        var tensors = model.Net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        using var ms = new MemoryStream();
        Safetensors.Write(ms, tensors, new Dictionary<string, string> { [ModelFile.MetadataKey] = Metadata.ToJson() });
        validFile = ms.ToArray();
        headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(validFile);
        using var check = ModelFile.Load(new MemoryStream(validFile), "valid");
        Assert.That(check.Metadata, Is.EqualTo(Metadata));
    }

    private sealed class Outcomes
    {
        public int Loaded;
        public int Rejected;
        public readonly Dictionary<string, int> Reasons = new(StringComparer.Ordinal);
        public readonly List<string> Failures = [];

        public void Add(byte[] bytes, string what)
        {
            try
            {
                using var loaded = ModelFile.Load(new MemoryStream(bytes, writable: false), "fuzz");
                Loaded++;
            }
            catch (ModelFormatException e)
            {
                Rejected++;
                string reason = Reason(e.Message);
                Reasons[reason] = Reasons.GetValueOrDefault(reason) + 1;
            }
            catch (Exception e)
            {
                if (Failures.Count < 10) Failures.Add($"{what}: {e.GetType().Name}: {e.Message}");
                else Failures.Add("");
            }
        }

        /// <summary>The message's first words after the source name, names and numbers blanked, as a category.</summary>
        private static string Reason(string message)
        {
            string text = message.StartsWith("fuzz: ", StringComparison.Ordinal) ? message[6..] : message;
            text = text.Replace("not a valid safetensors file: ", "", StringComparison.Ordinal);
            text = System.Text.RegularExpressions.Regex.Replace(text, @"'[^']*'", "'…'");
            text = System.Text.RegularExpressions.Regex.Replace(text, @"\[[^\]]*\]|\d+", "N");
            var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(7);
            return string.Join(' ', words);
        }

        public void Report(string kind, int cases)
        {
            TestContext.Out.WriteLine($"{kind}: {cases} cases, {Rejected} rejected with ModelFormatException, {Loaded} loaded, {Failures.Count} other outcomes");
            foreach (var (reason, n) in Reasons.OrderByDescending(kv => kv.Value).Take(8))
                TestContext.Out.WriteLine($"    {n,5}  {reason}");
            Assert.That(Failures, Is.Empty, string.Join("\n", Failures.Where(f => f.Length > 0)));
            Assert.That(Rejected + Loaded, Is.EqualTo(cases));
        }
    }

    /// <summary>1–8 random bytes set to random values, half of them in the header (where most checks are).</summary>
    [Test]
    public void RandomByteFlips()
    {
        var random = new Random(12);
        var outcomes = new Outcomes();
        for (int i = 0; i < CasesPerKind; i++)
        {
            var bytes = (byte[])validFile.Clone();
            int flips = random.Next(1, 9);
            for (int f = 0; f < flips; f++)
            {
                int at = random.Next(2) == 0 ? random.Next(8 + headerLength) : random.Next(bytes.Length);
                bytes[at] = (byte)random.Next(256);
            }
            outcomes.Add(bytes, $"flip case {i}");
        }
        outcomes.Report("byte flips", CasesPerKind);
        // Flips in the header break the JSON or the offsets; flips in the data make NaN/Inf only sometimes.
        Assert.That(outcomes.Rejected, Is.GreaterThan(CasesPerKind / 3));
    }

    /// <summary>Every truncation length class: inside the length field, the header, and the data.</summary>
    [Test]
    public void Truncations()
    {
        var random = new Random(34);
        var outcomes = new Outcomes();
        for (int i = 0; i < CasesPerKind; i++)
        {
            int length = i switch
            {
                < 9 => i,
                < 300 => random.Next(8, 8 + headerLength + 1),
                _ => random.Next(8 + headerLength, validFile.Length),
            };
            outcomes.Add(validFile.AsSpan(0, length).ToArray(), $"truncated to {length}");
        }
        outcomes.Report("truncations", CasesPerKind);
        Assert.That(outcomes.Rejected, Is.EqualTo(CasesPerKind), "a truncated file never loads");
    }

    /// <summary>
    /// Structured mutations of the JSON header: numbers replaced by edge values (0, -1, huge, beyond int64),
    /// strings by other strings, fields deleted or duplicated, tokens swapped, the length field changed.
    /// </summary>
    [Test]
    public void HeaderMutations()
    {
        var random = new Random(56);
        string header = Encoding.UTF8.GetString(validFile, 8, headerLength);
        var data = validFile.AsSpan(8 + headerLength).ToArray();
        string[] numbers = ["0", "1", "-1", "2", "3", "7", "8", "64", "255", "65536", "2147483647", "2147483648", "4294967296",
            "9223372036854775807", "9223372036854775808", "1e300", "1.5", "-0", "NaN", "null", "\"4\"", "[]", "{}", "100000000"];
        string[] strings = ["\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"", "\"U8\"", "\"BOOL\"", "\"F64\"", "\"X\"", "\"\"", "null", "1",
            "\"__metadata__\"", "\"cm.metadata\"", "\"teacher\"", "\"consistency\"", "\"\\u0000\"", "{}", "[1]"];
        var outcomes = new Outcomes();
        for (int i = 0; i < 2 * CasesPerKind; i++)
        {
            string mutated = header;
            int edits = random.Next(1, 4);
            for (int e = 0; e < edits; e++)
                mutated = Mutate(mutated, random, numbers, strings);
            var json = Encoding.UTF8.GetBytes(mutated);
            ulong length = (ulong)json.Length;
            if (random.Next(10) == 0) length = random.Next(4) switch
            {
                0 => 0,
                1 => length + (ulong)random.Next(1, 64),
                2 => length - (ulong)Math.Min(json.Length, random.Next(1, 64)),
                _ => ulong.MaxValue - (ulong)random.Next(16),
            };
            var bytes = new byte[8 + json.Length + data.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
            json.CopyTo(bytes, 8);
            data.CopyTo(bytes, 8 + json.Length);
            outcomes.Add(bytes, $"header case {i}: {Shorten(mutated)}");
        }
        outcomes.Report("header mutations", 2 * CasesPerKind);
        Assert.That(outcomes.Rejected, Is.GreaterThan(CasesPerKind));
    }

    private static string Mutate(string header, Random random, string[] numbers, string[] strings)
    {
        switch (random.Next(6))
        {
            case 0: // a number (in the tensor table or inside the escaped metadata JSON) → an edge value
            {
                var spans = Tokens(header, char.IsAsciiDigit);
                if (spans.Count == 0) return header;
                var (start, length) = spans[random.Next(spans.Count)];
                return header[..start] + numbers[random.Next(numbers.Length)] + header[(start + length)..];
            }
            case 1: // a quoted string → another string
            {
                var spans = QuotedStrings(header);
                if (spans.Count == 0) return header;
                var (start, length) = spans[random.Next(spans.Count)];
                return header[..start] + strings[random.Next(strings.Length)] + header[(start + length)..];
            }
            case 2: // delete a slice
            {
                int start = random.Next(header.Length);
                int length = Math.Min(header.Length - start, random.Next(1, 40));
                return header.Remove(start, length);
            }
            case 3: // duplicate a slice
            {
                int start = random.Next(header.Length);
                int length = Math.Min(header.Length - start, random.Next(1, 80));
                return header.Insert(start, header.Substring(start, length));
            }
            case 4: // swap two numbers (e.g. two offsets, or a dimension with an offset)
            {
                var spans = Tokens(header, char.IsAsciiDigit);
                if (spans.Count < 2) return header;
                var a = spans[random.Next(spans.Count)];
                var b = spans[random.Next(spans.Count)];
                if (a.Start == b.Start) return header;
                if (a.Start > b.Start) (a, b) = (b, a);
                string first = header.Substring(a.Start, a.Length), second = header.Substring(b.Start, b.Length);
                return header[..a.Start] + second + header[(a.Start + a.Length)..b.Start] + first + header[(b.Start + b.Length)..];
            }
            default: // one structural character → another
            {
                const string structural = "{}[],:\"\\ ";
                var at = Enumerable.Range(0, header.Length).Where(k => structural.Contains(header[k])).ToList();
                if (at.Count == 0) return header;
                int k = at[random.Next(at.Count)];
                return header[..k] + structural[random.Next(structural.Length)] + header[(k + 1)..];
            }
        }
    }

    private static List<(int Start, int Length)> Tokens(string text, Func<char, bool> inToken)
    {
        var spans = new List<(int, int)>();
        for (int i = 0; i < text.Length;)
        {
            if (!inToken(text[i])) { i++; continue; }
            int start = i;
            while (i < text.Length && inToken(text[i])) i++;
            spans.Add((start, i - start));
        }
        return spans;
    }

    private static List<(int Start, int Length)> QuotedStrings(string text)
    {
        var spans = new List<(int, int)>();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '"') continue;
            int end = i + 1;
            while (end < text.Length && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
            if (end >= text.Length) break;
            spans.Add((i, end - i + 1));
            i = end;
        }
        return spans;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
