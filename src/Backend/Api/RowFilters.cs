using Backend.Data;

namespace Backend.Api;

/// <summary>What of a row a caller may see: the owner sees every column but hidden ones (secrets); anyone else sees
/// only public columns, plus computed properties that are not table columns (the reference's rule).</summary>
internal static class RowFilters
{
    /// <summary>The row as its owner may see it.</summary>
    public static DbRow Own(TableSchema table, DbRow row)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(row);
        var result = new DbRow();
        foreach (var (k, v) in row)
            if (table.Column(k) is not { Hidden: true }) result[k] = v;
        return result;
    }

    /// <summary>The row as another account may see it.</summary>
    public static DbRow Public(TableSchema table, DbRow row)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(row);
        var result = new DbRow();
        foreach (var (k, v) in row)
            if (table.Column(k) is null or { Pub: true, Hidden: false }) result[k] = v;
        return result;
    }

    /// <summary>Own or public depending on who is asking.</summary>
    public static DbRow For(TableSchema table, DbRow row, string? callerId, string idColumn = "id") =>
        callerId is not null && row.GetString(idColumn) == callerId ? Own(table, row) : Public(table, row);
}
