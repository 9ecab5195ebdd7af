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
        Shape? shape = null;
        return ReadAll(reader, table, ref shape);
    }

    /// <summary>The synchronous form for a driver that reuses prepared statements: <paramref name="shape"/> is kept
    /// with the statement and described only when missing or made for another table or column count (a statement's
    /// select list is fixed, so its names do not change).</summary>
    public static List<DbRow> ReadAll(DbDataReader reader, TableSchema table, ref Shape? shape)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(table);
        if (shape is null || !ReferenceEquals(shape.Table, table) || shape.Names.Length != reader.FieldCount)
        {
            var (n, c) = Describe(reader, table);
            shape = new Shape(table, n, c);
        }
        var (names, columns) = (shape.Names, shape.Columns);
        var rows = new List<DbRow>();
        while (reader.Read()) rows.Add(Row(reader, names, columns));
        return rows;
    }

    /// <summary>The first row only (a Get by key), or null; <paramref name="shape"/> as in
    /// <see cref="ReadAll(DbDataReader, TableSchema, ref Shape?)"/>.</summary>
    public static DbRow? ReadFirst(DbDataReader reader, TableSchema table, ref Shape? shape)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(table);
        if (!reader.Read()) return null;
        if (shape is null || !ReferenceEquals(shape.Table, table) || shape.Names.Length != reader.FieldCount)
        {
            var (n, c) = Describe(reader, table);
            shape = new Shape(table, n, c);
        }
        return Row(reader, shape.Names, shape.Columns);
    }

    /// <summary>A reader's column names and the table's columns they are, in reader order (null for a name the table
    /// does not have).</summary>
    public sealed class Shape
    {
        internal Shape(TableSchema table, string[] names, ColumnSchema?[] columns) => (Table, Names, Columns) = (table, names, columns);

        internal TableSchema Table { get; }

        internal string[] Names { get; }

        internal ColumnSchema?[] Columns { get; }
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

    // Boxed once: every bool read back would otherwise allocate a box.
    private static readonly object True = true, False = false;

    /// <summary>One row. Every value is read once with GetValue (which also tells NULL apart, without a separate
    /// IsDBNull call), and a value that already has its column's logical type (the usual case: the facade converts
    /// every value before writing it) is kept as it is instead of going through <see cref="DbValues.FromStore"/>,
    /// which would unbox and box it again; anything else (JSON, a value of another type written by another program,
    /// an unknown column) takes the general path, so the result is the same either way. Measured on SQLite this beats
    /// asking for the stored type and using typed getters, since Microsoft.Data.Sqlite checks the type in every
    /// getter anyway.</summary>
    private static DbRow Row(DbDataReader reader, string[] names, ColumnSchema?[] columns)
    {
        var row = new DbRow(names.Length);
        for (var i = 0; i < names.Length; i++)
        {
            var v = reader.GetValue(i);
            if (v is DBNull) continue;
            var column = columns[i];
            row[names[i]] = column?.Type switch
            {
                ColumnType.Text when v is string => v,
                ColumnType.Int or ColumnType.BigInt or ColumnType.Counter when v is long => v,
                ColumnType.Real when v is double => v,
                ColumnType.Bool when v is long l => l != 0 ? True : False,
                ColumnType.Bool when v is bool b => b ? True : False,
                _ => DbValues.FromStore(column, v),
            };
        }
        return row;
    }
}
