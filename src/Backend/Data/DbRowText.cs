using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backend.Data;

/// <summary>A row as JSON text for a shared cache, and back with the column types of its table: every value of a
/// described column travels as its invariant text (<see cref="DbValues.ToText"/>) and comes back through
/// <see cref="DbValues.FromStore"/>, as if read from a database, so a cached row has the same .NET types as a fresh
/// one (a bigint stays a long, a real a double, a json column a parsed node). A column the table does not describe
/// keeps its JSON type. A missing row is the text <c>null</c>.</summary>
internal static class DbRowText
{
    /// <summary>The text of a row, or <c>null</c> for no row.</summary>
    public static string Write(TableSchema table, DbRow? row)
    {
        if (row is null) return "null";
        var o = new JsonObject();
        foreach (var (name, value) in row)
        {
            if (value is null) continue;
            o[name] = table.Column(name) is not null ? JsonValue.Create(DbValues.ToText(value)) : ToNode(value);
        }
        return o.ToJsonString();
    }

    /// <summary>The row of a text written by <see cref="Write"/> (null for <c>null</c>); throws
    /// <see cref="JsonException"/> for text that is not a JSON object.</summary>
    public static DbRow? Read(TableSchema table, string text)
    {
        using var doc = JsonDocument.Parse(text);
        if (doc.RootElement.ValueKind == JsonValueKind.Null) return null;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("a cached row is not a JSON object");
        var row = new DbRow(table.Columns.Count);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var column = table.Column(p.Name);
            row[p.Name] = column is not null && p.Value.ValueKind == JsonValueKind.String
                ? DbValues.FromStore(column, p.Value.GetString())
                : FromElement(p.Value);
        }
        return row;
    }

    private static JsonNode? ToNode(object value) => value switch
    {
        JsonNode n => n.DeepClone(),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        _ => JsonValue.Create(DbValues.ToText(value)),
    };

    private static object? FromElement(JsonElement e) => e.ValueKind switch
    {
        // Each arm is cast to object: JsonNode's implicit conversions would otherwise make it the switch's type.
        JsonValueKind.String => (object?)e.GetString(),
        JsonValueKind.True => (object?)true,
        JsonValueKind.False => (object?)false,
        JsonValueKind.Number => e.TryGetInt64(out var l) ? (object?)l : (object?)e.GetDouble(),
        JsonValueKind.Null => null,
        _ => JsonNode.Parse(e.GetRawText()),
    };
}
