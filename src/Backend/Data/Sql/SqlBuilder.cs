using System.Text;
using Backend.Data;

namespace Backend.Data.Sql;

/// <summary>Builds parameterised SQL for <see cref="DbRequest"/>s. Only identifiers from the table schema
/// (validated names) are written into the text; every value is a parameter. A base class for provider packages
/// (public and unsealed by design): a SQL driver derives from it with its <see cref="SqlDialect"/> and overrides the
/// statements its database writes differently, as PostgreSQL and MySQL do.</summary>
public class SqlBuilder(SqlDialect dialect)
{
    /// <summary>The dialect in use.</summary>
    public SqlDialect Dialect { get; } = dialect;

    /// <summary>CREATE TABLE IF NOT EXISTS with every column and the primary key.</summary>
    public virtual string CreateTable(TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var sb = new StringBuilder("CREATE TABLE IF NOT EXISTS ").Append(Dialect.Quote(table.Name)).Append(" (");
        foreach (var c in table.Columns) sb.Append(ColumnDefinition(c)).Append(", ");
        sb.Append("PRIMARY KEY (").AppendJoin(", ", table.PrimaryKeys.Select(Dialect.Quote)).Append("))");
        return sb.ToString();
    }

    /// <summary>Column definition used by CREATE TABLE and ALTER TABLE ADD COLUMN.</summary>
    public virtual string ColumnDefinition(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var def = Dialect.Quote(column.Name) + " " + Dialect.TypeName(column.Type);
        return column.Primary > 0 ? def + " NOT NULL" : def;
    }

    /// <summary>ALTER TABLE ADD COLUMN.</summary>
    public virtual string AddColumn(TableSchema table, ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(table);
        return $"ALTER TABLE {Dialect.Quote(table.Name)} ADD COLUMN {ColumnDefinition(column)}";
    }

    /// <summary>CREATE INDEX IF NOT EXISTS.</summary>
    public virtual string CreateIndex(TableSchema table, IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(table);
        return $"CREATE INDEX IF NOT EXISTS {Dialect.Quote(table.IndexName(columns))} ON {Dialect.Quote(table.Name)} ({string.Join(", ", columns.Select(Dialect.Quote))})";
    }

    /// <summary>SQL for a write or a Get; Select has its own method because it also returns the ordering.</summary>
    public virtual SqlStatement Build(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Operation switch
        {
            DbOperation.Get => Get(request),
            DbOperation.Add => Insert(request, "INSERT INTO"),
            DbOperation.Put => Insert(request, Dialect.ReplaceInto),
            DbOperation.Update => Update(request),
            DbOperation.Incr => Incr(request),
            DbOperation.Del => Delete(request),
            DbOperation.Select or DbOperation.Search => Select(request).Statement,
            DbOperation.Replace => Replace(request),
            DbOperation.UpdateAll => UpdateAll(request),
            DbOperation.DelAll => DeleteAll(request),
            DbOperation.List => List(request),
            DbOperation.Query => Native(request.Native!, []),
            _ => throw new NotSupportedException(request.Operation.ToString()),
        };
    }

    // Get by key is the hot path (every signed request reads an account): its text depends only on the table, so it
    // is built once per table; only the key values change.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TableSchema, string> _getText = [];

    /// <summary>The text of a Get of whole rows by primary key, with the key values as parameters 0.. in key order;
    /// one string per table, the same instance every time.</summary>
    public string GetText(TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(table);
        // TryGetValue first: GetValue's factory captures this, a delegate allocated on every call.
        return _getText.TryGetValue(table, out var text)
            ? text
            : _getText.GetValue(table, t => $"SELECT {SelectList(t, null, [])} FROM {Dialect.Quote(t.Name)} WHERE {string.Join(" AND ", t.PrimaryKeys.Select((k, i) => $"{Dialect.Quote(k)} = {Dialect.Parameter(i)}"))} LIMIT 1");
    }

    private SqlStatement Get(DbRequest r)
    {
        if (r.Options.Select is null or { Count: 0 })
        {
            var text = GetText(r.Table);
            var keys = r.Table.PrimaryKeys;
            var values = new object?[keys.Count];
            for (var i = 0; i < values.Length; i++) values[i] = Dialect.ToParameter(r.Row[keys[i]]);
            return new SqlStatement(text, values);
        }
        var p = new List<object?>(r.Table.PrimaryKeys.Count);
        var sql = $"SELECT {SelectList(r.Table, r.Options.Select, [])} FROM {Dialect.Quote(r.Table.Name)} WHERE {KeyWhere(r, p)} LIMIT 1";
        return new SqlStatement(sql, p);
    }

    private SqlStatement Insert(DbRequest r, string head) =>
        new(RowText(r, head, static (b, r, head) =>
        {
            var cols = r.Row.Keys.ToList();
            var values = cols.Select((_, i) => b.Dialect.Parameter(i));
            return $"{head} {b.Dialect.Quote(r.Table.Name)} ({string.Join(", ", cols.Select(b.Dialect.Quote))}) VALUES ({string.Join(", ", values)})";
        }), RowParameters(r.Row));

    /// <summary>The row's values as parameters, in the row's column order (the order <see cref="RowText"/> texts
    /// number their placeholders in).</summary>
    protected List<object?> RowParameters(DbRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var p = new List<object?>(row.Count);
        foreach (var v in row.Values) p.Add(Dialect.ToParameter(v));
        return p;
    }

    /// <summary>The text of a statement that depends only on the table, its kind and which columns the row carries
    /// (in order), built once and then reused: whole-row writes nearly always carry the same columns, and rebuilding an
    /// 8-column upsert cost ~1.5 μs and 5 KB per call. Reusing the same string object also lets drivers that cache
    /// prepared commands find them by reference. <paramref name="build"/> should be a static lambda (no allocation per call) numbering placeholders from 0 in
    /// the row's column order.</summary>
    protected string RowText(DbRequest request, string kind, Func<SqlBuilder, DbRequest, string, string> build)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(build);
        var cache = _rowText.GetValue(request.Table, static _ => new RowTextCache());
        var row = request.Row;
        var entries = cache.Entries;
        foreach (var e in entries)
            if (string.Equals(e.Kind, kind, StringComparison.Ordinal) && SameColumns(e.Columns, row)) return e.Text;
        var text = build(this, request, kind);
        // Copy-on-write, bounded: a table written with ever-changing column sets stops caching instead of growing.
        // Two threads adding at once may lose one entry, which only costs a rebuild later.
        if (entries.Length < RowTextCache.MaxEntries) cache.Entries = [.. entries, new RowTextEntry(kind, [.. row.Keys], text)];
        return text;
    }

    private static bool SameColumns(string[] columns, DbRow row)
    {
        if (columns.Length != row.Count) return false;
        var i = 0;
        foreach (var name in row.Keys)
            if (!string.Equals(columns[i++], name, StringComparison.Ordinal)) return false;
        return true;
    }

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TableSchema, RowTextCache> _rowText = [];

    private sealed record RowTextEntry(string Kind, string[] Columns, string Text);

    private sealed class RowTextCache
    {
        public const int MaxEntries = 32;
        public volatile RowTextEntry[] Entries = [];
    }

    private SqlStatement Update(DbRequest r) => UpdateExisting(r, incr: false);

    /// <summary>An UPDATE of the existing row only: the given columns are set, or with <paramref name="incr"/> counter
    /// columns are added to (under the dialect's overflow guard, which then makes it a no-op).</summary>
    protected SqlStatement UpdateExisting(DbRequest r, bool incr)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = new List<object?>();
        var guards = new List<string>();
        var sets = r.Row.Where(kv => !r.Table.PrimaryKeys.Contains(kv.Key)).Select(kv =>
        {
            var q = Dialect.Quote(kv.Key);
            var v = Add(p, kv.Value);
            if (!incr || r.Table.Column(kv.Key)!.Type != ColumnType.Counter) return $"{q} = {v}";
            var sum = $"COALESCE({q}, 0) + COALESCE({v}, 0)";
            if (Dialect.CounterOverflowGuard(sum) is { } guard) guards.Add(guard);
            return $"{q} = {sum}";
        }).ToList();
        // Nothing to change: still report whether the row exists (1) or not (0), like a no-op update would.
        if (sets.Count == 0) sets.Add($"{Dialect.Quote(r.Table.PrimaryKeys[0])} = {Dialect.Quote(r.Table.PrimaryKeys[0])}");
        var where = string.Join(" AND ", guards.Prepend(KeyWhere(r, p)));
        return new SqlStatement($"UPDATE {Dialect.Quote(r.Table.Name)} SET {string.Join(", ", sets)} WHERE {where}", p);
    }

    /// <summary>Counter columns are added to; other given columns are set. Creates the row when missing, unless
    /// <see cref="DbOptions.NoUpsert"/> asks for the existing row only.</summary>
    protected virtual SqlStatement Incr(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options.NoUpsert) return UpdateExisting(request, incr: true);
        var insert = Insert(request, "INSERT INTO");
        var t = Dialect.Quote(request.Table.Name);
        var guards = new List<string>();
        var sets = request.Row.Keys.Where(c => !request.Table.PrimaryKeys.Contains(c)).Select(c =>
        {
            var q = Dialect.Quote(c);
            if (request.Table.Column(c)!.Type != ColumnType.Counter) return $"{q} = excluded.{q}";
            var sum = $"COALESCE({t}.{q}, 0) + COALESCE(excluded.{q}, 0)";
            if (Dialect.CounterOverflowGuard(sum) is { } guard) guards.Add(guard);
            return $"{q} = {sum}";
        }).ToList();
        var conflict = string.Join(", ", request.Table.PrimaryKeys.Select(Dialect.Quote));
        var tail = sets.Count == 0 ? $" ON CONFLICT ({conflict}) DO NOTHING" : $" ON CONFLICT ({conflict}) DO UPDATE SET {string.Join(", ", sets)}";
        if (sets.Count > 0 && guards.Count > 0) tail += " WHERE " + string.Join(" AND ", guards);
        return new SqlStatement(insert.Text + tail, insert.Parameters);
    }

    /// <summary>Insert, or on a key conflict update only the given columns.</summary>
    protected virtual SqlStatement Replace(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var insert = Insert(request, "INSERT INTO");
        var sets = request.Row.Keys.Where(c => !request.Table.PrimaryKeys.Contains(c)).Select(c => $"{Dialect.Quote(c)} = excluded.{Dialect.Quote(c)}").ToList();
        var conflict = string.Join(", ", request.Table.PrimaryKeys.Select(Dialect.Quote));
        var tail = sets.Count == 0 ? $" ON CONFLICT ({conflict}) DO NOTHING" : $" ON CONFLICT ({conflict}) DO UPDATE SET {string.Join(", ", sets)}";
        return new SqlStatement(insert.Text + tail, insert.Parameters);
    }

    private SqlStatement UpdateAll(DbRequest r)
    {
        var p = new List<object?>();
        var sets = r.Row.Select(kv => $"{Dialect.Quote(kv.Key)} = {Add(p, kv.Value)}").ToList();
        if (sets.Count == 0) throw new DbException(DbErrorKind.BadInput, $"{r.Table.Name}: nothing to update");
        var where = r.Conditions.Select(c => Condition(c, p));
        return new SqlStatement($"UPDATE {Dialect.Quote(r.Table.Name)} SET {string.Join(", ", sets)} WHERE {string.Join(" AND ", where)}", p);
    }

    private SqlStatement DeleteAll(DbRequest r)
    {
        var p = new List<object?>();
        var where = r.Conditions.Select(c => Condition(c, p)).ToList();
        return new SqlStatement($"DELETE FROM {Dialect.Quote(r.Table.Name)} WHERE {string.Join(" AND ", where)}", p);
    }

    private SqlStatement List(DbRequest r)
    {
        var p = new List<object?>();
        var keys = r.Table.PrimaryKeys;
        string where;
        if (keys.Count == 1)
        {
            where = $"{Dialect.Quote(keys[0])} IN ({string.Join(", ", r.Keys.Select(k => Add(p, k[keys[0]])))})";
        }
        else
        {
            where = string.Join(" OR ", r.Keys.Select(k => "(" + string.Join(" AND ", keys.Select(c => $"{Dialect.Quote(c)} = {Add(p, k[c])}")) + ")"));
        }
        return new SqlStatement($"SELECT {SelectList(r.Table, r.Options.Select, [])} FROM {Dialect.Quote(r.Table.Name)} WHERE {where}", p);
    }

    /// <summary>A native statement: <c>@name</c> parameters are rewritten to the dialect's positional placeholders,
    /// so callers write one form for every SQL driver. Text inside quotes is left alone.</summary>
    public SqlStatement Native(DbNativeQuery query, List<object?> parameters)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(parameters);
        var sb = new StringBuilder();
        var text = query.Text;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quote != '\0')
            {
                if (ch == quote) quote = '\0';
                sb.Append(ch);
            }
            else if (ch is '\'' or '"' or '`')
            {
                quote = ch;
                sb.Append(ch);
            }
            else if (ch == '@' && i + 1 < text.Length && (char.IsLetter(text[i + 1]) || text[i + 1] == '_'))
            {
                var start = ++i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                var name = text[start..i--];
                if (query.Parameters is null || !query.Parameters.TryGetValue(name, out var value))
                    throw DbException.BadInput($"query parameter @{name} has no value");
                sb.Append(Add(parameters, value));
            }
            else
            {
                sb.Append(ch);
            }
        }
        return new SqlStatement(sb.ToString(), parameters);
    }

    private SqlStatement Delete(DbRequest r)
    {
        var p = new List<object?>();
        return new SqlStatement($"DELETE FROM {Dialect.Quote(r.Table.Name)} WHERE {KeyWhere(r, p)}", p);
    }

    /// <summary>A select with its ordering columns (the sort column, then the primary key) and the row limit
    /// (count + 1, so the driver can tell whether another page exists).</summary>
    public virtual SqlSelect Select(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = request.Options;
        // A first page of whole rows with plain conditions (the common select: by key prefix or index, sorted, counted):
        // its text depends only on the condition columns and operators, the sort and whether a count is given, so it
        // is built once and reused; only the values are bound per call.
        if (request.Native is null && string.IsNullOrEmpty(o.Start) && o.Select is null or { Count: 0 } && CacheableConditions(request.Conditions))
        {
            var cache = _selectText.GetValue(request.Table, static _ => new SelectTextCache());
            var entries = cache.Entries;
            foreach (var e in entries)
                if (e.Matches(request)) return new SqlSelect(new SqlStatement(e.Text, SelectParameters(request)), e.Order, o.Count);
            var built = BuildSelect(request);
            // Kept only when the general builder bound exactly the values SelectParameters binds, in that order.
            if (entries.Length < SelectTextCache.MaxEntries && built.Statement.Parameters.SequenceEqual(SelectParameters(request)))
                cache.Entries = [.. entries, new SelectTextEntry(request, built.Statement.Text, built.Order)];
            return built;
        }
        return BuildSelect(request);
    }

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TableSchema, SelectTextCache> _selectText = [];

    private sealed class SelectTextCache
    {
        public const int MaxEntries = 32;
        public volatile SelectTextEntry[] Entries = [];
    }

    private sealed class SelectTextEntry(DbRequest request, string text, IReadOnlyList<ColumnSchema> order)
    {
        private readonly string? _sort = request.Options.Sort;
        private readonly bool _desc = request.Options.Desc, _counted = request.Options.Count is not null;
        private readonly (string Column, DbCompare Op, bool IsNull)[] _conditions = [.. request.Conditions.Select(c => (c.Column, c.Op, c.Value is null))];

        public string Text { get; } = text;

        public IReadOnlyList<ColumnSchema> Order { get; } = order;

        public bool Matches(DbRequest r)
        {
            var o = r.Options;
            if (o.Desc != _desc || (o.Count is not null) != _counted || !string.Equals(o.Sort, _sort, StringComparison.Ordinal)) return false;
            var conditions = r.Conditions;
            if (conditions.Count != _conditions.Length) return false;
            for (var i = 0; i < _conditions.Length; i++)
            {
                var (column, op, isNull) = _conditions[i];
                var c = conditions[i];
                if (c.Op != op || (c.Value is null) != isNull || !string.Equals(c.Column, column, StringComparison.Ordinal)) return false;
            }
            return true;
        }
    }

    // Operators whose SQL binds the condition's value as one parameter (or none for NULL, which reads IS [NOT] NULL):
    // in, between (a varying number of values) and like (a rewritten pattern) are built every time.
    private static bool CacheableConditions(IReadOnlyList<DbCondition> conditions)
    {
        foreach (var c in conditions)
            if (c.Op is DbCompare.In or DbCompare.Between or DbCompare.Like) return false;
        return true;
    }

    /// <summary>The parameters <see cref="BuildSelect"/> binds for a cacheable select: each condition's value (none for a
    /// NULL compared with a plain operator), then the limit.</summary>
    private List<object?> SelectParameters(DbRequest r)
    {
        var p = new List<object?>(r.Conditions.Count + 1);
        foreach (var c in r.Conditions)
            if (c.Value is not null || c.Op is DbCompare.BeginsWith or DbCompare.Contains) p.Add(Dialect.ToParameter(c.Value));
        if (r.Options.Count is int n) p.Add(Dialect.ToParameter((long)(n + 1)));
        return p;
    }

    private SqlSelect BuildSelect(DbRequest request)
    {
        var table = request.Table;
        var o = request.Options;
        var order = table.OrderColumns(o);
        var p = new List<object?>();
        var where = request.Conditions.Select(c => Condition(c, p)).ToList();
        if (request.Native is { } native) where.Add("(" + Native(native, p).Text + ")");
        if (!string.IsNullOrEmpty(o.Start))
            where.Add(After(order, PagingToken.Decode(o.Start, order), o.Desc, p));
        var sb = new StringBuilder("SELECT ").Append(SelectList(table, o.Select, order)).Append(" FROM ").Append(Dialect.Quote(table.Name));
        if (where.Count > 0) sb.Append(" WHERE ").AppendJoin(" AND ", where);
        var dir = o.Desc ? " DESC" : "";
        sb.Append(" ORDER BY ").AppendJoin(", ", order.Select(c => Dialect.Quote(c.Name) + dir + (c.Primary == 0 ? Dialect.NullsOrder(o.Desc) : "")));
        int? limit = o.Count is int n ? n + 1 : null;
        if (limit is int l) sb.Append(" LIMIT ").Append(Add(p, (long)l));
        return new SqlSelect(new SqlStatement(sb.ToString(), p), order, o.Count);
    }

    /// <summary>The keyset condition "after the row with these ordering values". Key columns are never NULL, so
    /// they compare as one row value; a non-key sort column may be, and NULLs sort first ascending and last
    /// descending on every driver, so its condition spells out where NULL rows fall.</summary>
    private string After(IReadOnlyList<ColumnSchema> order, IReadOnlyList<object?> values, bool desc, List<object?> p)
    {
        var cmp = desc ? "<" : ">";
        string Tuple(int from)
        {
            var cols = order.Skip(from).Select(c => Dialect.Quote(c.Name)).ToList();
            var vals = values.Skip(from).Select(v => Add(p, v)).ToList();
            return cols.Count == 1 ? $"{cols[0]} {cmp} {vals[0]}" : $"({string.Join(", ", cols)}) {cmp} ({string.Join(", ", vals)})";
        }
        if (order[0].Primary > 0) return Tuple(0);
        var s = Dialect.Quote(order[0].Name);
        var sv = values[0];
        if (sv is null)
            return desc ? $"({s} IS NULL AND {Tuple(1)})" : $"(({s} IS NULL AND {Tuple(1)}) OR {s} IS NOT NULL)";
        var v = Add(p, sv);
        var tie = $"({s} = {v} AND {Tuple(1)})";
        return desc ? $"({s} < {v} OR {tie} OR {s} IS NULL)" : $"({s} > {v} OR {tie})";
    }

    private string SelectList(TableSchema table, IReadOnlyList<string>? select, IReadOnlyList<ColumnSchema> required)
    {
        var names = select is null ? [] : select.Where(table.HasColumn).Concat(required.Select(c => c.Name)).Distinct(StringComparer.Ordinal).ToList();
        // No known column selected: return whole rows rather than build an invalid "SELECT  FROM".
        if (names.Count == 0) return string.Join(", ", table.Columns.Select(c => Dialect.Quote(c.Name)));
        return string.Join(", ", names.Select(Dialect.Quote));
    }

    private string KeyWhere(DbRequest r, List<object?> p) =>
        string.Join(" AND ", r.Table.PrimaryKeys.Select(k => $"{Dialect.Quote(k)} = {Add(p, r.Row[k])}"));

    private string Condition(DbCondition c, List<object?> p)
    {
        var col = Dialect.Quote(c.Column);
        switch (c.Op)
        {
            case DbCompare.In:
                var items = (IReadOnlyList<object?>)c.Value!;
                return items.Count == 0 ? "1 = 0" : $"{col} IN ({string.Join(", ", items.Select(v => Add(p, v)))})";
            case DbCompare.Between:
                var range = (IReadOnlyList<object?>)c.Value!;
                return $"{col} BETWEEN {Add(p, range[0])} AND {Add(p, range[1])}";
            case DbCompare.BeginsWith:
                return Dialect.BeginsWith(col, Add(p, c.Value));
            case DbCompare.Contains:
                return Dialect.Contains(col, Add(p, c.Value));
            case DbCompare.Like:
                return Dialect.Like(col, Add(p, Dialect.LikePattern(DbValues.ToText(c.Value) ?? "")));
            default:
                if (c.Value is null) return c.Op == DbCompare.Ne ? $"{col} IS NOT NULL" : $"{col} IS NULL";
                var op = c.Op switch
                {
                    DbCompare.Ne => "<>",
                    DbCompare.Gt => ">",
                    DbCompare.Ge => ">=",
                    DbCompare.Lt => "<",
                    DbCompare.Le => "<=",
                    _ => "=",
                };
                return $"{col} {op} {Add(p, c.Value)}";
        }
    }

    private string Add(List<object?> parameters, object? value)
    {
        parameters.Add(Dialect.ToParameter(value));
        return Dialect.Parameter(parameters.Count - 1);
    }
}

/// <summary>A select statement with the columns it orders by and the page size the caller asked for.</summary>
public sealed record SqlSelect(SqlStatement Statement, IReadOnlyList<ColumnSchema> Order, int? Count);
