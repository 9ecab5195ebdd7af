using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Backend.Data;

/// <summary>Converts values to a column's logical type before anything is written, so a wrong type is rejected
/// up front and every driver receives the same canonical values: string, long, double, bool or <see cref="JsonNode"/>.</summary>
public static class DbValues
{
    /// <summary>Longest text or JSON value accepted when a column sets no limit (characters).</summary>
    public const int DefaultMaxLength = 256 * 1024;

    // Boxed once, for bool values passed through Convert.
    private static readonly object True = true, False = false;

    /// <summary>Converts a value for a column; throws <see cref="DbException"/> (400) when it does not fit.</summary>
    public static object? Convert(ColumnSchema column, object? value)
    {
        ArgumentNullException.ThrowIfNull(column);
        // A value that already has the column's type (the usual case for keys from the API and the facade's own rows)
        // is returned as it is: the general path below would unbox and box a long or double again, an allocation on
        // every key of every Get. Same results: the general path returns an equal value for these.
        switch (column.Type)
        {
            case ColumnType.Int or ColumnType.BigInt or ColumnType.Counter when value is long:
                return value;
            case ColumnType.Real when value is double d && double.IsFinite(d):
                return value;
            case ColumnType.Bool when value is bool b:
                return b ? True : False;
            case ColumnType.Text when value is string t && t.Length <= (column.MaxLength > 0 ? column.MaxLength : DefaultMaxLength):
                return value;
        }
        // JSON scalars (from a JsonObject row) convert like the plain values they hold: {"n":"5"} into an int is 5.
        if (value is JsonValue jv) value = JsonSerializer.SerializeToElement(jv);
        if (value is JsonElement e) value = FromElement(e);
        if (value is null) return null;
        if (value is string s && s.Length == 0 && column.Type != ColumnType.Text) return null;
        // JSON text "null" in a json column is no value, as a JSON null node is.
        if (column.Type == ColumnType.Json && value is string js && js.Trim() == "null") return null;
        object? result = column.Type switch
        {
            // Each arm is cast to object: JsonNode's implicit conversions would otherwise make it the switch's type.
            ColumnType.Text => (object?)ToText(value),
            ColumnType.Int or ColumnType.BigInt or ColumnType.Counter => (object?)ToLong(value),
            ColumnType.Real => (object?)ToDouble(value),
            ColumnType.Bool => (object?)ToBool(value),
            ColumnType.Json => ToJson(value),
            _ => null,
        };
        if (result is null)
            throw DbException.BadInput($"invalid value for {column.Name}: expected {column.Type.ToString().ToLowerInvariant()}");
        var max = column.MaxLength > 0 ? column.MaxLength : DefaultMaxLength;
        if (result is string text && text.Length > max || result is JsonNode && ToText(result)!.Length > max)
            throw DbException.BadInput($"value too long for {column.Name}: at most {max} characters");
        return result;
    }

    /// <summary>A scalar as invariant text; JSON nodes as their JSON text.</summary>
    public static string? ToText(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonNode n => n.ToJsonString(),
        _ => value.ToString(),
    };

    /// <summary>An integer, or null when the value is not one.</summary>
    public static long? ToLong(object? value) => value switch
    {
        long l => l,
        int i => i,
        short i => i,
        byte i => i,
        uint i => i,
        ulong u when u <= long.MaxValue => (long)u,
        double d when double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9.2e18 => (long)d,
        float f => ToLong((double)f),
        decimal m when decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue => (long)m,
        string s when long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => ToLong(d),
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        _ => null,
    };

    /// <summary>A finite double, or null when the value is not a number.</summary>
    public static double? ToDouble(object? value) => value switch
    {
        double d when double.IsFinite(d) => d,
        float f when float.IsFinite(f) => f,
        long l => l,
        int i => i,
        decimal m => (double)m,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
        JsonValue v when v.TryGetValue<double>(out var d) && double.IsFinite(d) => d,
        _ => null,
    };

    /// <summary>A boolean from bool, 0/1 or the usual words, or null.</summary>
    public static bool? ToBool(object? value) => value switch
    {
        bool b => b,
        long l => l != 0,
        int i => i != 0,
        double d => d != 0,
        string s => s.Trim().ToLowerInvariant() switch
        {
            "1" or "true" or "t" or "yes" or "y" or "on" => true,
            "0" or "false" or "f" or "no" or "n" or "off" => false,
            _ => null,
        },
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => null,
    };

    private static JsonNode? ToJson(object value)
    {
        switch (value)
        {
            case JsonNode n:
                return n.DeepClone();
            case string s:
                try
                {
                    return JsonNode.Parse(s) ?? JsonValue.Create(s);
                }
                catch (JsonException)
                {
                    // A plain string that is not JSON text is stored as a JSON string.
                    return JsonValue.Create(s);
                }
            default:
                return JsonSerializer.SerializeToNode(value);
        }
    }

    private static object? FromElement(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => (object?)e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => e.TryGetInt64(out var l) ? (object)l : e.GetDouble(),
        _ => JsonNode.Parse(e.GetRawText()),
    };

    /// <summary>Converts a value read back from a database to the column's logical type.</summary>
    public static object? FromStore(ColumnSchema? column, object? value)
    {
        if (value is null or DBNull) return null;
        if (column is null) return value;
        return column.Type switch
        {
            ColumnType.Bool => (object?)ToBool(value),
            ColumnType.Json => value is string s ? ParseStoredJson(s) : value,
            ColumnType.Int or ColumnType.BigInt or ColumnType.Counter => ToLong(value) ?? value,
            ColumnType.Real => ToDouble(value) ?? value,
            ColumnType.Text => (object?)ToText(value),
            _ => value,
        };
    }

    private static JsonNode? ParseStoredJson(string s)
    {
        try
        {
            return JsonNode.Parse(s);
        }
        catch (JsonException)
        {
            return JsonValue.Create(s);
        }
    }
}
