using System.Security.Cryptography;
using System.Text;

namespace MpiTestHost;

/// <summary>One named float32 tensor as stored in a <see cref="ParameterFile"/>.</summary>
public sealed record NamedTensor(string Name, long[] Shape, float[] Values);

/// <summary>
/// A small self-checking parameter file (shared with the tests by source link):
/// "CMPF", int32 version 1, int64 completed steps, int32 tensor count, per tensor (int32 name length, UTF-8 name,
/// int32 rank, int64 dims, float32 values), then SHA-256 of all preceding bytes. Written atomically
/// (temporary file in the same folder, flushed to disk, then renamed over the target), so a reader sees either
/// the old or the new file, never a torn one.
/// </summary>
public static class ParameterFile
{
    private static readonly byte[] Magic = "CMPF"u8.ToArray();

    public static void WriteAtomic(string path, long completedSteps, IReadOnlyList<NamedTensor> tensors)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(1);
            w.Write(completedSteps);
            w.Write(tensors.Count);
            foreach (var t in tensors)
            {
                var name = Encoding.UTF8.GetBytes(t.Name);
                w.Write(name.Length);
                w.Write(name);
                w.Write(t.Shape.Length);
                foreach (var d in t.Shape) w.Write(d);
                foreach (var v in t.Values) w.Write(v);
            }
        }
        var body = ms.ToArray();
        var hash = SHA256.HashData(body);
        var full = Path.GetFullPath(path);
        var tmp = full + ".tmp." + Environment.ProcessId;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(body);
            fs.Write(hash);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>Reads and fully validates a file; throws InvalidDataException naming the problem.</summary>
    public static (long CompletedSteps, IReadOnlyList<NamedTensor> Tensors) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 32) throw new InvalidDataException($"{path}: too short ({bytes.Length} bytes) for a parameter file.");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new InvalidDataException($"{path}: SHA-256 mismatch: the file is truncated or corrupt.");
        using var r = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - 32), Encoding.UTF8);
        if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a CMPF parameter file.");
        int version = r.ReadInt32();
        if (version != 1) throw new InvalidDataException($"{path}: version {version}, expected 1.");
        long steps = r.ReadInt64();
        int count = r.ReadInt32();
        if (count < 0 || count > 10_000) throw new InvalidDataException($"{path}: tensor count {count} out of range.");
        var list = new List<NamedTensor>(count);
        for (int i = 0; i < count; i++)
        {
            int nameLen = r.ReadInt32();
            if (nameLen < 0 || nameLen > 1024) throw new InvalidDataException($"{path}: name length {nameLen} out of range.");
            var name = Encoding.UTF8.GetString(r.ReadBytes(nameLen));
            int rank = r.ReadInt32();
            if (rank < 0 || rank > 8) throw new InvalidDataException($"{path}: tensor {name} has rank {rank}.");
            var shape = new long[rank];
            long n = 1;
            for (int d = 0; d < rank; d++)
            {
                shape[d] = r.ReadInt64();
                if (shape[d] < 0) throw new InvalidDataException($"{path}: tensor {name} has a negative dimension.");
                n *= shape[d];
            }
            if (n * 4 > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException($"{path}: tensor {name} runs past the end.");
            var values = new float[n];
            for (long k = 0; k < n; k++) values[k] = r.ReadSingle();
            list.Add(new NamedTensor(name, shape, values));
        }
        if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException($"{path}: trailing bytes after the last tensor.");
        return (steps, list);
    }
}
