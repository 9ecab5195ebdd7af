using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.DynamoDb;

/// <summary>The order SQL drivers sort values in, for sorting and comparing rows in memory: NULL first, then
/// numbers (numerically), then text in binary (UTF-8 byte, i.e. code point) order — the order DynamoDB itself
/// uses for S keys and SQLite for TEXT. Bools compare as 0/1 and JSON as its text, as they are stored in SQL.</summary>
internal static class ValueOrder
{
    public static int Compare(object? a, object? b)
    {
        if (a is null || b is null) return (a is null ? 0 : 1) - (b is null ? 0 : 1);
        var ka = Kind(a);
        var kb = Kind(b);
        if (ka != kb) return ka.CompareTo(kb);
        if (ka == 1)
        {
            if (AsLong(a) is long la && AsLong(b) is long lb) return la.CompareTo(lb);
            return (DbValues.ToDouble(AsNumber(a)) ?? 0).CompareTo(DbValues.ToDouble(AsNumber(b)) ?? 0);
        }
        return CompareText(AsText(a), AsText(b));
    }

    /// <summary>1 numbers (and bools), 2 text (and JSON).</summary>
    private static int Kind(object v) => v is string or JsonNode ? 2 : 1;

    private static object AsNumber(object v) => v is bool b ? (b ? 1L : 0L) : v;

    private static long? AsLong(object v) => v switch
    {
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        _ => null,
    };

    private static string AsText(object v) => v is JsonNode n ? n.ToJsonString() : DbValues.ToText(v) ?? "";

    /// <summary>Code point order of two strings (ordinal UTF-16 order differs only for surrogates vs U+E000..U+FFFF).</summary>
    public static int CompareText(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x != y) return Fix(x).CompareTo(Fix(y));
        }
        return a.Length.CompareTo(b.Length);
    }

    private static int Fix(char c) => c >= 0xD800 && c <= 0xDFFF ? c + 0x2000 : c >= 0xE000 ? c - 0x800 : c;

    /// <summary>Compares two rows by the ordering columns, descending when asked (NULLs still first ascending and last descending).</summary>
    public static int CompareRows(DbRow a, DbRow b, IReadOnlyList<ColumnSchema> order, bool desc)
    {
        foreach (var c in order)
        {
            var r = Compare(a.GetValueOrDefault(c.Name), b.GetValueOrDefault(c.Name));
            if (r != 0) return desc ? -r : r;
        }
        return 0;
    }

    /// <summary>True when the row comes strictly after the position of a paging token (the last row's ordering values).</summary>
    public static bool IsAfter(DbRow row, IReadOnlyList<ColumnSchema> order, IReadOnlyList<object?> token, bool desc)
    {
        for (var i = 0; i < order.Count; i++)
        {
            var r = Compare(row.GetValueOrDefault(order[i].Name), token[i]);
            if (r != 0) return desc ? r < 0 : r > 0;
        }
        return false;
    }
}
