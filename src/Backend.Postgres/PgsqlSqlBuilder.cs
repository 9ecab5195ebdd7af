using System.Text;
using Backend.Data;
using Backend.Data.Sql;

namespace Backend.Postgres;

/// <summary>SQL for PostgreSQL: the shared builder (its <c>ON CONFLICT ... excluded.</c> upserts are valid
/// PostgreSQL) with Put as an upsert that replaces the whole row and idempotent ADD COLUMN.</summary>
public sealed class PgsqlSqlBuilder() : SqlBuilder(PgsqlDialect.Instance)
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
    private SqlStatement Put(DbRequest r)
    {
        var p = new List<object?>();
        var cols = r.Row.Keys.ToList();
        var sb = new StringBuilder("INSERT INTO ").Append(Dialect.Quote(r.Table.Name))
            .Append(" (").AppendJoin(", ", cols.Select(Dialect.Quote)).Append(") VALUES (");
        for (var i = 0; i < cols.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            p.Add(Dialect.ToParameter(r.Row[cols[i]]));
            sb.Append(Dialect.Parameter(p.Count - 1));
        }
        sb.Append(") ON CONFLICT (").AppendJoin(", ", r.Table.PrimaryKeys.Select(Dialect.Quote)).Append(") DO UPDATE SET ");
        var sets = r.Table.Columns.Where(c => c.Primary == 0)
            .Select(c => Dialect.Quote(c.Name) + " = " + (r.Row.ContainsKey(c.Name) ? "excluded." + Dialect.Quote(c.Name) : "NULL"))
            .ToList();
        // A table of key columns only: a no-op update still reports the row as written (1), like a replace.
        if (sets.Count == 0) sets.Add($"{Dialect.Quote(r.Table.PrimaryKeys[0])} = excluded.{Dialect.Quote(r.Table.PrimaryKeys[0])}");
        sb.AppendJoin(", ", sets);
        return new SqlStatement(sb.ToString(), p);
    }
}
