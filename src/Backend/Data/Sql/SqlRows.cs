using System.Data.Common;

namespace Backend.Data.Sql;

/// <summary>What every ADO.NET driver does the same way: reading rows into <see cref="DbRow"/>s typed by the table's
/// columns, ordering a batch's writes, and pacing deadlock retries.</summary>
public static class SqlRows
{
    /// <summary>Reads every row of a reader; NULLs are left out, values converted to the columns' logical types.</summary>
    public static async Task<List<DbRow>> ReadAllAsync(DbDataReader reader, TableSchema table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (names, columns) = Describe(reader, table);
        var rows = new List<DbRow>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(Row(reader, names, columns));
        return rows;
    }

    /// <summary>The synchronous form, for in-process databases (SQLite) where async I/O buys nothing.</summary>
    public static List<DbRow> ReadAll(DbDataReader reader, TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var (names, columns) = Describe(reader, table);
        var rows = new List<DbRow>();
        while (reader.Read()) rows.Add(Row(reader, names, columns));
        return rows;
    }

    /// <summary>A batch's writes in one global order (table, then key, stable for writes to the same row): writes to
    /// different rows commute, so the outcome is the same, and two batches touching the same rows lock them in the
    /// same order instead of deadlocking.</summary>
    public static IEnumerable<DbRequest> LockOrder(IReadOnlyList<DbRequest> batch) => batch
        .Select((r, i) => (Request: r, Index: i))
        .OrderBy(x => x.Request.Table.Name, StringComparer.Ordinal)
        .ThenBy(x => string.Join("\0", x.Request.Table.PrimaryKeys.Select(k => DbValues.ToText(x.Request.Row.GetValueOrDefault(k)))), StringComparer.Ordinal)
        .ThenBy(x => x.Index)
        .Select(x => x.Request);

    /// <summary>The wait before retrying a deadlock victim: growing, with jitter so the retries do not collide again.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(5 * attempt * attempt + Random.Shared.Next(0, 20 * attempt));

    private static (string[] Names, ColumnSchema?[] Columns) Describe(DbDataReader reader, TableSchema table)
    {
        var names = new string[reader.FieldCount];
        var columns = new ColumnSchema?[reader.FieldCount];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = reader.GetName(i);
            columns[i] = table.Column(names[i]);
        }
        return (names, columns);
    }

    private static DbRow Row(DbDataReader reader, string[] names, ColumnSchema?[] columns)
    {
        var row = new DbRow();
        for (var i = 0; i < names.Length; i++)
        {
            if (!reader.IsDBNull(i)) row[names[i]] = DbValues.FromStore(columns[i], reader.GetValue(i));
        }
        return row;
    }
}
