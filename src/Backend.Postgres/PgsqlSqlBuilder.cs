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
            DbOperation.UpdateAll or DbOperation.DelAll when HasLike(request) => ManyByKeys(request),
            _ => base.Build(request),
        };
    }

    /// <summary>Selects with LIKE conditions rewritten as SQLite evaluates LIKE (see <see cref="LikeClause"/>).</summary>
    public override SqlSelect Select(DbRequest request) => base.Select(WithLikeAsNative(request));

    /// <summary>True when a request has a LIKE condition.</summary>
    private static bool HasLike(DbRequest request) => request.Conditions.Any(c => c.Op == DbCompare.Like);

    /// <summary>The request with its LIKE conditions moved into the native WHERE text (the shared builder writes a
    /// plain <c>col LIKE ?</c>, which is case-sensitive here and fails on PostgreSQL numbers).</summary>
    private DbRequest WithLikeAsNative(DbRequest request)
    {
        if (!HasLike(request)) return request;
        var parameters = new Dictionary<string, object?>(request.Native?.Parameters ?? new Dictionary<string, object?>(), StringComparer.Ordinal);
        var clauses = new List<string>();
        if (request.Native is { } native) clauses.Add("(" + native.Text + ")");
        foreach (var c in request.Conditions.Where(c => c.Op == DbCompare.Like))
        {
            var name = "__like" + clauses.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            while (parameters.ContainsKey(name)) name += "_";
            parameters[name] = LikePattern(DbValues.ToText(c.Value) ?? "");
            clauses.Add(LikeClause(Dialect.Quote(c.Column), "@" + name));
        }
        return new DbRequest
        {
            Operation = request.Operation,
            Table = request.Table,
            Row = request.Row,
            Conditions = [.. request.Conditions.Where(c => c.Op != DbCompare.Like)],
            Keys = request.Keys,
            Batch = request.Batch,
            Options = request.Options,
            Native = new DbNativeQuery(string.Join(" AND ", clauses), parameters),
        };
    }

    /// <summary>UpdateAll or DelAll with a LIKE condition: the rows are picked by key from the same select as Select
    /// would run (the derived table lets MySQL read the table it changes).</summary>
    private SqlStatement ManyByKeys(DbRequest request)
    {
        var t = Dialect.Quote(request.Table.Name);
        var keys = string.Join(", ", request.Table.PrimaryKeys.Select(Dialect.Quote));
        // A LIMIT keeps MySQL from merging the derived table into the outer statement.
        var select = Select(new DbRequest
        {
            Operation = DbOperation.Select,
            Table = request.Table,
            Conditions = request.Conditions,
            Options = new DbOptions { Select = request.Table.PrimaryKeys, Count = int.MaxValue - 1 },
        }).Statement;
        var p = select.Parameters.ToList();
        var target = request.Table.PrimaryKeys.Count == 1 ? keys : "(" + keys + ")";
        var where = $"{target} IN (SELECT {keys} FROM ({select.Text}) AS bkcs_rows)";
        if (request.Operation == DbOperation.DelAll) return new SqlStatement($"DELETE FROM {t} WHERE {where}", p);
        var sets = new List<string>();
        foreach (var (column, value) in request.Row)
        {
            p.Add(Dialect.ToParameter(value));
            sets.Add($"{Dialect.Quote(column)} = {Dialect.Parameter(p.Count - 1)}");
        }
        if (sets.Count == 0) throw new DbException(400, $"{request.Table.Name}: nothing to update");
        return new SqlStatement($"UPDATE {t} SET {string.Join(", ", sets)} WHERE {where}", p);
    }

    /// <summary>LIKE as SQLite evaluates it: ASCII letters match either case (lower() in the "C" collation folds
    /// ASCII only), there is no escape character, and any column type is compared as text.</summary>
    private static string LikeClause(string column, string parameter) => $"lower({column}::text) LIKE lower({parameter}) ESCAPE ''";

    private static string LikePattern(string pattern) => pattern;

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
