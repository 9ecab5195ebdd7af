using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;
using Backend.Data;

namespace Backend.DynamoDb;

/// <summary>Maps the canonical column values (string, long, double, bool, JSON) to DynamoDB attribute values and
/// back. Numbers travel as the decimal text of N (never through double for integers, so every digit of
/// <see cref="long.MaxValue"/> survives); JSON is S holding the JSON text (exactly what SQL drivers store, so
/// comparisons and contains/begins_with behave alike); bool is BOOL, or N 1/0 where the column is a key of the
/// table or of an index (DynamoDB keys can only be S, N or B); NULL is an absent attribute.</summary>
internal static class AttributeCodec
{
    /// <summary>The attribute value of a column value, or null for "no attribute".</summary>
    public static AttributeValue? Encode(ColumnSchema column, object? value, bool isKey)
    {
        if (value is null) return null;
        switch (column.Type)
        {
            case ColumnType.Int or ColumnType.BigInt or ColumnType.Counter:
                if (DbValues.ToLong(value) is long l) return new AttributeValue { N = l.ToString(CultureInfo.InvariantCulture) };
                return Number(value);
            case ColumnType.Real:
                return Number(value);
            case ColumnType.Bool:
                var b = DbValues.ToBool(value) ?? false;
                return isKey ? new AttributeValue { N = b ? "1" : "0" } : new AttributeValue { BOOL = b };
            case ColumnType.Json:
                return new AttributeValue { S = value is JsonNode n ? n.ToJsonString() : DbValues.ToText(value) };
            default:
                return new AttributeValue { S = DbValues.ToText(value) };
        }
    }

    private static AttributeValue Number(object value)
    {
        if (value is long or int) return new AttributeValue { N = DbValues.ToText(value) };
        var d = DbValues.ToDouble(value) ?? throw new DbException(DbErrorKind.BadInput, "invalid number");
        return new AttributeValue { N = FormatDouble(d) };
    }

    /// <summary>Shortest round-trip text of a double; plain digits where that is exact, else the exponent form.</summary>
    public static string FormatDouble(double d)
    {
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        if (!r.Contains('E', StringComparison.Ordinal)) return r;
        // Exponent form is accepted by DynamoDB, but plain digits read back identically everywhere when decimal holds them exactly.
        if (Math.Abs(d) is > 1e-20 and < 7.9e27)
        {
            var m = (decimal)d;
            if ((double)m == d) return m.ToString(CultureInfo.InvariantCulture);
        }
        return r;
    }

    /// <summary>A generic attribute value for a native parameter (Search): by the .NET type of the value.</summary>
    public static AttributeValue FromParameter(object? value) => value switch
    {
        null => new AttributeValue { NULL = true },
        string s => new AttributeValue { S = s },
        bool b => new AttributeValue { BOOL = b },
        long or int or short or byte or uint or ulong => new AttributeValue { N = DbValues.ToText(value) },
        double d => new AttributeValue { N = FormatDouble(d) },
        float f => new AttributeValue { N = FormatDouble(f) },
        decimal m => new AttributeValue { N = m.ToString(CultureInfo.InvariantCulture) },
        JsonValue v when v.TryGetValue<string>(out var s) => new AttributeValue { S = s },
        JsonValue v when v.TryGetValue<bool>(out var b) => new AttributeValue { BOOL = b },
        JsonValue v when v.TryGetValue<long>(out var l) => new AttributeValue { N = l.ToString(CultureInfo.InvariantCulture) },
        JsonValue v when v.TryGetValue<double>(out var d) => new AttributeValue { N = FormatDouble(d) },
        JsonNode n => new AttributeValue { S = n.ToJsonString() },
        _ => new AttributeValue { S = DbValues.ToText(value) },
    };

    /// <summary>The column value of a stored attribute, converted to the column's logical type.</summary>
    public static object? Decode(ColumnSchema column, AttributeValue a)
    {
        if (a.NULL == true) return null;
        switch (column.Type)
        {
            case ColumnType.Int or ColumnType.BigInt or ColumnType.Counter when a.N is { } n:
                return ParseNumber(n);
            case ColumnType.Real when a.N is { } n:
                return double.Parse(n, NumberStyles.Float, CultureInfo.InvariantCulture);
            case ColumnType.Bool when a.N is { } n:
                return ParseNumber(n) is long l ? l != 0 : true;
            case ColumnType.Json:
                if (a.S is { } js) return DbValues.FromStore(column, js);
                return ToJson(a);
            default:
                return DbValues.FromStore(column, Raw(a));
        }
    }

    /// <summary>Integer text as long; anything else (a fraction, an exponent) as double.</summary>
    private static object ParseNumber(string n)
    {
        if (long.TryParse(n, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (decimal.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && decimal.Truncate(m) == m && m >= long.MinValue && m <= long.MaxValue)
            return (long)m;
        return double.Parse(n, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static object? Raw(AttributeValue a)
    {
        if (a.S is { } s) return s;
        if (a.N is { } n) return ParseNumber(n);
        if (a.BOOL is bool b) return b;
        return ToJson(a);
    }

    /// <summary>Any attribute value as JSON (maps and lists written by other tools).</summary>
    public static JsonNode? ToJson(AttributeValue a)
    {
        if (a.NULL == true) return null;
        if (a.S is { } s) return JsonValue.Create(s);
        if (a.N is { } n)
        {
            var v = ParseNumber(n);
            return v is long l ? JsonValue.Create(l) : JsonValue.Create((double)v);
        }
        if (a.BOOL is bool b) return JsonValue.Create(b);
        if (a.M is { } m)
        {
            var o = new JsonObject();
            foreach (var (k, v) in m) o[k] = ToJson(v);
            return o;
        }
        if (a.L is { } list) return new JsonArray([.. list.Select(ToJson)]);
        if (a.SS is { } ss) return new JsonArray([.. ss.Select(x => (JsonNode?)JsonValue.Create(x))]);
        if (a.NS is { } ns) return new JsonArray([.. ns.Select(x => ToJson(new AttributeValue { N = x }))]);
        return null;
    }
}
