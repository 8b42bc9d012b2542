using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ConsistencyModels.Tool.Runs;

/// <summary>
/// The training log: JSON lines, one object per logged step (<c>{"step":100,"time":"…","loss":0.0123,…}</c>),
/// flushed after every line so a killed run keeps everything it logged. A resumed run drops the lines
/// after its checkpoint step (they belong to the lost tail) and appends.
/// Non-finite values are written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter writer;
    private readonly TimeProvider clock;

    private MetricsLog(StreamWriter writer, TimeProvider clock)
    {
        this.writer = writer;
        this.clock = clock;
    }

    /// <summary>The log file path.</summary>
    public required string Path { get; init; }

    /// <summary>Starts a new log, replacing any old file.</summary>
    /// <param name="path">The log file (e.g. <c>DIR/log.jsonl</c>).</param>
    /// <param name="clock">Time source for the <c>time</c> field (tests pass a fake one).</param>
    public static MetricsLog Create(string path, TimeProvider? clock = null) =>
        Open(path, FileMode.Create, clock);

    /// <summary>
    /// Opens the log of a resumed run: keeps the lines with <c>step</c> ≤ <paramref name="resumeStep"/>
    /// (rewritten atomically), then appends.
    /// </summary>
    /// <param name="path">The log file.</param>
    /// <param name="resumeStep">The step of the checkpoint the run resumes from.</param>
    /// <param name="clock">Time source for the <c>time</c> field.</param>
    /// <param name="logEvery">The run's logging interval: a line at <paramref name="resumeStep"/> that is not on it was
    /// the closing line of the stopped run (an uninterrupted run has none there) and is dropped too, so the resumed
    /// log has exactly the uninterrupted run's lines. 0 keeps it.</param>
    public static MetricsLog Resume(string path, long resumeStep, TimeProvider? clock = null, long logEvery = 0)
    {
        if (File.Exists(path))
        {
            bool dropLast = logEvery > 0 && resumeStep % logEvery != 0;
            var kept = File.ReadLines(path).Where(line => line.Length > 0 && StepOf(line, path) is var s && (s < resumeStep || (s == resumeStep && !dropLast))).ToList();
            string temp = path + ".tmp";
            File.WriteAllLines(temp, kept);
            File.Move(temp, path, overwrite: true);
        }
        return Open(path, FileMode.Append, clock);
    }

    /// <summary>Appends one line for <paramref name="step"/> and flushes it to disk.</summary>
    /// <param name="step">The training step.</param>
    /// <param name="values">Named values (loss, lr, grad norm, …), written in the given order.</param>
    public void Write(long step, IEnumerable<KeyValuePair<string, double>> values)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            json.WriteString("time", clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            foreach (var (name, value) in values)
            {
                if (name is "step" or "time")
                    throw new ArgumentException($"metric name '{name}' is reserved by the log.", nameof(values));
                if (double.IsFinite(value)) json.WriteNumber(name, value);
                else json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
            }
            json.WriteEndObject();
        }
        writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        writer.Flush();
    }

    /// <summary>Reads every line of a log: its step and its numeric values (non-finite strings parsed back).</summary>
    /// <param name="path">The log file.</param>
    public static IReadOnlyList<(long Step, IReadOnlyDictionary<string, double> Values)> ReadAll(string path)
    {
        var rows = new List<(long, IReadOnlyDictionary<string, double>)>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            using var doc = Parse(line, path);
            var values = new Dictionary<string, double>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name is "step" or "time") continue;
                values[property.Name] = property.Value.ValueKind == JsonValueKind.String
                    ? double.Parse(property.Value.GetString()!, CultureInfo.InvariantCulture)
                    : property.Value.GetDouble();
            }
            rows.Add((doc.RootElement.GetProperty("step").GetInt64(), values));
        }
        return rows;
    }

    /// <inheritdoc />
    public void Dispose() => writer.Dispose();

    private static MetricsLog Open(string path, FileMode mode, TimeProvider? clock)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var stream = new FileStream(path, mode, FileAccess.Write, FileShare.Read);
        return new MetricsLog(new StreamWriter(stream, new UTF8Encoding(false)), clock ?? TimeProvider.System) { Path = path };
    }

    private static long StepOf(string line, string path)
    {
        using var doc = Parse(line, path);
        return doc.RootElement.TryGetProperty("step", out var step) && step.TryGetInt64(out long value)
            ? value
            : throw new InvalidDataException($"{path}: a log line has no integer \"step\": {line}");
    }

    private static JsonDocument Parse(string line, string path)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a JSON-lines log ({e.Message})", e);
        }
    }
}
