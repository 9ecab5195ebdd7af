using System.Text;
using Backend.Data;
using Backend.Data.Sql;

namespace Backend.Postgres;

/// <summary>SQL for PostgreSQL: the shared builder (its <c>ON CONFLICT ... excluded.</c> upserts are valid
/// PostgreSQL) with Put as an upsert that replaces the whole row and idempotent ADD COLUMN.</summary>
internal sealed class PostgresSqlBuilder() : SqlBuilder(PostgresDialect.Instance)
{
    /// <inheritdoc />
    public override string AddColumn(TableSchema table, ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(table);
        return $"ALTER TABLE {Dialect.Quote(table.Name)} ADD COLUMN IF NOT EXISTS {ColumnDefinition(column)}";
    }

    /// <inheritdoc />
    public override SqlStatement Build(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Operation switch
        {
            DbOperation.Put => Put(request),
            _ => base.Build(request),
        };
    }

    /// <summary>Insert, or replace every non-key column of the existing row: given columns take the new values,
    /// the others become NULL, exactly like SQLite's INSERT OR REPLACE (but without a delete).</summary>
    private SqlStatement Put(DbRequest r) => new(RowText(r, "put", static (b, r, _) =>
    {
        var d = b.Dialect;
        var cols = r.Row.Keys.ToList();
        var sb = new StringBuilder("INSERT INTO ").Append(d.Quote(r.Table.Name))
            .Append(" (").AppendJoin(", ", cols.Select(d.Quote)).Append(") VALUES (");
        for (var i = 0; i < cols.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(d.Parameter(i));
        }
        sb.Append(") ON CONFLICT (").AppendJoin(", ", r.Table.PrimaryKeys.Select(d.Quote)).Append(") DO UPDATE SET ");
        var sets = r.Table.Columns.Where(c => c.Primary == 0)
            .Select(c => d.Quote(c.Name) + " = " + (r.Row.ContainsKey(c.Name) ? "excluded." + d.Quote(c.Name) : "NULL"))
            .ToList();
        // A table of key columns only: a no-op update still reports the row as written (1), like a replace.
        if (sets.Count == 0) sets.Add($"{d.Quote(r.Table.PrimaryKeys[0])} = excluded.{d.Quote(r.Table.PrimaryKeys[0])}");
        sb.AppendJoin(", ", sets);
        return sb.ToString();
    }), RowParameters(r.Row));
}
