using System.Globalization;
using Backend.Data;
using Backend.Http;

namespace Backend.Api.Counters;

/// <summary>Shapes and parses counter rows.</summary>
internal static class CounterRows
{
    /// <summary>The record as <paramref name="callerId"/> may see it, every counter present (0 when never set):
    /// the owner sees every column but hidden ones, others public columns only.</summary>
    public static DbRow Shape(TableSchema table, string id, DbRow? row, string callerId)
    {
        var full = row is null ? new DbRow() : new DbRow(row);
        full["id"] = id;
        foreach (var c in table.Columns.Where(c => c.Type == ColumnType.Counter))
            if (full.GetValueOrDefault(c.Name) is null) full[c.Name] = 0L;
        return id == callerId ? RowFilters.Own(table, full) : RowFilters.Public(table, full);
    }

    /// <summary>The counter columns given as parameters with their integer values; 400 for a value that is not an
    /// integer. Parameters that are not counter columns (keys, hidden columns, admin ones for non-admins) are ignored.</summary>
    public static DbRow Parse(TableSchema table, ApiRequest api)
    {
        var row = new DbRow();
        foreach (var (name, value) in api.Params)
        {
            if (name.StartsWith('_') || table.Column(name) is not { Type: ColumnType.Counter, Primary: 0, Hidden: false } c || (c.Admin && !api.IsAdmin)) continue;
            if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                throw ApiException.BadRequest($"{name} must be an integer");
            row[name] = n;
        }
        return row;
    }
}
