using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ConsistencyModels.Naming;

/// <summary>
/// The one name table of the library's enums (<see cref="NameAttribute"/>): the tool's options, the JSON of
/// model metadata and every message spell a value the same way. Unknown names and undefined values throw;
/// there is no fallback value.
/// </summary>
public static class EnumNames
{
    /// <summary>The token of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not a defined value.</exception>
    public static string Of<T>(T value) where T : struct, Enum =>
        Table<T>.ByValue.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"not a defined {typeof(T).Name}");

    /// <summary>All tokens of <typeparamref name="T"/>, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Table<T>.Names;

    /// <summary>Parses a token or one of its aliases (case-insensitive).</summary>
    public static bool TryParse<T>(string? token, out T value) where T : struct, Enum
    {
        value = default;
        return token is not null && Table<T>.ByName.TryGetValue(token, out value);
    }

    /// <summary>Parses a token or one of its aliases (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The token is unknown; the message lists the known ones.</exception>
    public static T Parse<T>(string? token) where T : struct, Enum =>
        TryParse<T>(token, out var value)
            ? value
            : throw new ArgumentException($"unknown {Describe<T>()} '{token}': expected {Alternatives<T>()}");

    /// <summary>"a, b or c": the tokens of <typeparamref name="T"/> for messages.</summary>
    public static string Alternatives<T>() where T : struct, Enum
    {
        var names = Table<T>.Names;
        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }

    private static string Describe<T>() => typeof(T).Name.Replace("Kind", "", StringComparison.Ordinal).ToLowerInvariant();

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
                var attribute = field.GetCustomAttribute<NameAttribute>();
                var name = attribute?.Name ?? field.Name.ToLowerInvariant();
                if (!ByName.TryAdd(name, value))
                    throw new InvalidOperationException($"{typeof(T).Name}: the name '{name}' is used twice");
                ByValue[value] = name;
                Names.Add(name);
                foreach (var alias in attribute?.Aliases ?? [])
                    if (!ByName.TryAdd(alias, value))
                        throw new InvalidOperationException($"{typeof(T).Name}: the alias '{alias}' is used twice");
            }
        }
    }
}

/// <summary>JSON (de)serialization of an enum through <see cref="EnumNames"/>: written as its token, read from its
/// token or an alias; an unknown string is a <see cref="JsonException"/>.</summary>
public sealed class EnumNameJsonConverter<T> : JsonConverter<T> where T : struct, Enum
{
    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"expected a string ({EnumNames.Alternatives<T>()}), got {reader.TokenType}");
        string? token = reader.GetString();
        return EnumNames.TryParse<T>(token, out var value)
            ? value
            : throw new JsonException($"unknown value '{token}': expected {EnumNames.Alternatives<T>()}");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(EnumNames.Of(value));
}
