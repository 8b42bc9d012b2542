using System.Security.Cryptography;
using System.Text;

namespace ConsistencyModels.Data;

/// <summary>
/// A stable hash of a data set for model metadata: SHA-256 over the files sorted by their
/// '/'-separated relative path (ordinal), each contributing its path, its length and its bytes.
/// Independent of file dates, enumeration order and the folder's absolute location.
/// </summary>
public static class DataHash
{
    /// <summary>Hashes <paramref name="files"/> (absolute paths) relative to <paramref name="root"/>; lower-case hex.</summary>
    public static string Compute(string root, IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(files);
        var entries = files
            .Select(f => (Rel: Path.GetRelativePath(root, f).Replace('\\', '/'), Full: f))
            .OrderBy(e => e.Rel, StringComparer.Ordinal);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> len = stackalloc byte[8];
        foreach (var (rel, full) in entries)
        {
            var name = Encoding.UTF8.GetBytes(rel);
            BitConverter.TryWriteBytes(len, (long)name.Length);
            sha.AppendData(len);
            sha.AppendData(name);
            var bytes = File.ReadAllBytes(full);
            BitConverter.TryWriteBytes(len, (long)bytes.Length);
            sha.AppendData(len);
            sha.AppendData(bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
