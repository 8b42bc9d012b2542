using System.Reflection;

namespace ConsistencyModels.Tool.Options;

/// <summary>Maps enum values to and from their command-line tokens (<see cref="CliNameAttribute"/>).</summary>
public static class CliNames
{
    /// <summary>The command-line token of <paramref name="value"/>.</summary>
    /// <typeparam name="T">An enum whose fields carry <see cref="CliNameAttribute"/>.</typeparam>
    /// <param name="value">The value.</param>
    public static string Of<T>(T value) where T : struct, Enum => Table<T>.ByValue[value];

    /// <summary>All tokens of <typeparamref name="T"/>, in declaration order.</summary>
    /// <typeparam name="T">An enum whose fields carry <see cref="CliNameAttribute"/>.</typeparam>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Table<T>.Names;

    /// <summary>Parses a token (case-insensitive).</summary>
    /// <typeparam name="T">An enum whose fields carry <see cref="CliNameAttribute"/>.</typeparam>
    /// <param name="token">The token.</param>
    /// <param name="value">The value when the token is known.</param>
    /// <returns>Whether the token is known.</returns>
    public static bool TryParse<T>(string token, out T value) where T : struct, Enum =>
        Table<T>.ByName.TryGetValue(token, out value);

    /// <summary>"a, b or c": the tokens of <typeparamref name="T"/> for error messages.</summary>
    /// <typeparam name="T">An enum whose fields carry <see cref="CliNameAttribute"/>.</typeparam>
    public static string Alternatives<T>() where T : struct, Enum
    {
        var names = Table<T>.Names;
        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }

    private static class Table<T> where T : struct, Enum
    {
        public static readonly Dictionary<T, string> ByValue = new();
        public static readonly Dictionary<string, T> ByName = new(StringComparer.OrdinalIgnoreCase);
        public static readonly List<string> Names = new();

        static Table()
        {
            foreach (var field in typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var value = (T)field.GetValue(null)!;
                var name = field.GetCustomAttribute<CliNameAttribute>()?.Name ?? field.Name.ToLowerInvariant();
                ByValue[value] = name;
                ByName[name] = value;
                Names.Add(name);
            }
        }
    }
}
