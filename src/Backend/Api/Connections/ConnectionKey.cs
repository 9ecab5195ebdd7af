using Backend.Data;

namespace Backend.Api.Connections;

/// <summary>The combined second key <c>TYPE:OTHERID</c> of both connection tables, and the row processor that
/// splits it so replies read <c>{id: OTHER, type, ...}</c>.</summary>
internal static class ConnectionKey
{
    /// <summary>The stored key for a connection of <paramref name="type"/> with <paramref name="other"/>.</summary>
    public static string Combine(string type, string other) => type + ":" + other;

    /// <summary>The prefix shared by every stored key of one type.</summary>
    public static string Prefix(string type) => type + ":";

    /// <summary>Splits a stored key; false when it is not combined (already processed, or foreign data).</summary>
    public static bool TrySplit(string? stored, out string type, out string other)
    {
        var i = stored?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        type = i > 0 ? stored![..i] : "";
        other = i > 0 ? stored![(i + 1)..] : "";
        return i > 0 && other.Length > 0;
    }

    /// <summary>The other account of a raw row (the part after the colon), or null.</summary>
    public static string? Other(DbRow raw) => TrySplit(raw.GetString("type"), out _, out var other) ? other : null;

    /// <summary>The row processor: <c>{id: OWNER, type: "like:OTHER"}</c> becomes <c>{id: OTHER, type: "like"}</c>.
    /// Idempotent, so registering it twice (or processing a processed row) changes nothing.</summary>
    public static void Process(DbRow row, DbOptions options, TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!TrySplit(row.GetString("type"), out var type, out var other)) return;
        row["type"] = type;
        row["id"] = other;
    }

    /// <summary>Narrows a select of one owner's rows to a type (key prefix) or to one other account (the key contains
    /// <c>:OTHER</c>; there is no "ends with" operator, so callers keep the exact matches afterwards).</summary>
    public static void Narrow(DbRow query, DbOptions options, string? type, string? other)
    {
        if (type is not null)
        {
            query["type"] = Prefix(type);
            options.Ops["type"] = DbCompare.BeginsWith;
        }
        else if (other is not null)
        {
            query["type"] = ":" + other;
            options.Ops["type"] = DbCompare.Contains;
        }
    }
}
