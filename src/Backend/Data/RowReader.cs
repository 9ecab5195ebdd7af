using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backend.Data;

/// <summary>Reads the values of whatever the caller passes as a row: a <see cref="DbRow"/> or other dictionary,
/// a JSON object, or any object/record (public properties; a property maps to the column of the same name, or
/// failing that its snake_case name, the same naming <see cref="TableRegistry.Add{T}"/> uses).</summary>
internal static class RowReader
{
    private static readonly ConcurrentDictionary<Type, (string Name, string Snake, Func<object, object?> Get)[]> Properties = new();

    public static DbRow Read(object? source, TableSchema? table = null)
    {
        switch (source)
        {
            case null:
                return [];
            case DbRow row:
                return row;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                return new DbRow(pairs);
            case IEnumerable<KeyValuePair<string, string>> strings:
                return new DbRow(strings.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)));
            case JsonObject obj:
                return new DbRow(obj.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)));
            case JsonElement { ValueKind: JsonValueKind.Object } e:
                return new DbRow(e.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, p.Value)));
            case IDictionary dict:
                var r = new DbRow();
                foreach (DictionaryEntry kv in dict) r[kv.Key.ToString()!] = kv.Value;
                return r;
            default:
                var result = new DbRow();
                foreach (var (name, snake, get) in Properties.GetOrAdd(source.GetType(), Describe))
                {
                    var column = table is null || table.HasColumn(name) ? name : snake;
                    result[column] = get(source);
                }
                return result;
        }
    }

    private static (string, string, Func<object, object?>)[] Describe(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .Select(p => p.GetCustomAttribute<DbColumnAttribute>()?.Name is { } column
                ? (column, column, (Func<object, object?>)p.GetValue)
                : (p.Name, JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), (Func<object, object?>)p.GetValue))];

    /// <summary>Columns renamed with <see cref="DbColumnAttribute.Name"/> on a type, mapped to the snake_case property
    /// names typed reads deserialize from.</summary>
    public static IReadOnlyDictionary<string, string> Renames(Type type) => RenameCache.GetOrAdd(type, t =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<DbColumnAttribute>()?.Name is not null)
            .ToDictionary(p => p.GetCustomAttribute<DbColumnAttribute>()!.Name!, p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), StringComparer.Ordinal));

    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, string>> RenameCache = new();
}
