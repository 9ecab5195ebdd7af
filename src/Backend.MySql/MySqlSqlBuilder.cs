using System.Globalization;
using System.Text;
using Backend.Data;
using Backend.Data.Sql;

namespace Backend.MySql;

/// <summary>SQL for MySQL and MariaDB.
/// <list type="bullet">
/// <item>Text and JSON columns use utf8mb4 with a binary, no-pad collation (<see cref="Collation"/>), so <c>=</c>,
/// begins_with, contains and ordering are case-sensitive code point comparisons exactly like SQLite's, and
/// <c>'a'</c> and <c>'a '</c> are different keys.</item>
/// <item>Text and JSON columns in the primary key or an index are VARCHAR (at most 255 characters, less when a
/// composite key would pass InnoDB's 3072-byte key limit); the rest are LONGTEXT.</item>
/// <item>Upserts are <c>INSERT ... ON DUPLICATE KEY UPDATE</c>.</item>
/// </list></summary>
internal sealed class MySqlSqlBuilder(string collation = MySqlSqlBuilder.DefaultCollation) : SqlBuilder(MySqlDialect.Instance)
{
    /// <summary>Binary collation of servers without a no-pad one (MySQL 5.7): trailing spaces are ignored when comparing.</summary>
    public const string DefaultCollation = "utf8mb4_bin";

    /// <summary>Longest text key or indexed text column, in characters.</summary>
    public const int MaxKeyChars = 255;

    /// <summary>InnoDB's limit on the bytes of one index key (utf8mb4 counts 4 bytes a character).</summary>
    public const int MaxKeyBytes = 3072;

    /// <summary>The collation of text columns.</summary>
    public string Collation { get; } = collation;

    /// <inheritdoc />
    public override string CreateTable(TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var sb = new StringBuilder("CREATE TABLE IF NOT EXISTS ").Append(Dialect.Quote(table.Name)).Append(" (");
        foreach (var c in table.Columns) sb.Append(ColumnDefinition(table, c)).Append(", ");
        sb.Append("PRIMARY KEY (").AppendJoin(", ", table.PrimaryKeys.Select(Dialect.Quote)).Append("))");
        sb.Append(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=").Append(Collation);
        return sb.ToString();
    }

    /// <summary>A column as if it were in no key or index.</summary>
    public override string ColumnDefinition(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return Definition(column, null);
    }

    /// <summary>A column of a table: text in a key or index gets a bounded VARCHAR.</summary>
    public string ColumnDefinition(TableSchema table, ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(column);
        return Definition(column, KeyTextLengths(table).TryGetValue(column.Name, out var n) ? n : null);
    }

    private string Definition(ColumnSchema column, int? varchar)
    {
        var type = column.Type is ColumnType.Text or ColumnType.Json
            ? (varchar is int n ? $"VARCHAR({n.ToString(CultureInfo.InvariantCulture)})" : "LONGTEXT") + " CHARACTER SET utf8mb4 COLLATE " + Collation
            : Dialect.TypeName(column.Type);
        var def = Dialect.Quote(column.Name) + " " + type;
        return column.Primary > 0 ? def + " NOT NULL" : def;
    }

    /// <summary>The VARCHAR length of every text or JSON column in the primary key or an index: 255 characters, less
    /// when the index's columns would not fit InnoDB's 3072-byte key (4 bytes a character, 8 a number, 1 a bool).</summary>
    public static IReadOnlyDictionary<string, int> KeyTextLengths(TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var lengths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var index in table.Indexes.Prepend(table.PrimaryKeys))
        {
            var columns = index.Select(name => table.Column(name)!).ToList();
            var text = columns.Where(c => c.Type is ColumnType.Text or ColumnType.Json).ToList();
            if (text.Count == 0) continue;
            var fixedBytes = columns.Where(c => c.Type is not (ColumnType.Text or ColumnType.Json)).Sum(c => c.Type == ColumnType.Bool ? 1 : 8);
            var each = Math.Clamp((MaxKeyBytes - fixedBytes) / (4 * text.Count), 1, MaxKeyChars);
            foreach (var c in text) lengths[c.Name] = Math.Min(each, lengths.GetValueOrDefault(c.Name, MaxKeyChars));
        }
        return lengths;
    }

    /// <inheritdoc />
    public override string AddColumn(TableSchema table, ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(table);
        return $"ALTER TABLE {Dialect.Quote(table.Name)} ADD COLUMN {ColumnDefinition(table, column)}";
    }

    /// <summary>CREATE INDEX (MySQL has no IF NOT EXISTS for indexes: the driver checks information_schema first).</summary>
    public override string CreateIndex(TableSchema table, IReadOnlyList<string> columns) => CreateIndex(table, columns, new HashSet<string>());

    /// <summary>CREATE INDEX where the given columns are (older) LONGTEXT columns, indexed by a prefix of the key length.</summary>
    public string CreateIndex(TableSchema table, IReadOnlyList<string> columns, IReadOnlySet<string> longText)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(longText);
        var lengths = KeyTextLengths(table);
        var parts = columns.Select(c => longText.Contains(c)
            ? $"{Dialect.Quote(c)}({lengths.GetValueOrDefault(c, MaxKeyChars).ToString(CultureInfo.InvariantCulture)})"
            : Dialect.Quote(c));
        return $"CREATE INDEX {Dialect.Quote(table.IndexName(columns))} ON {Dialect.Quote(table.Name)} ({string.Join(", ", parts)})";
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

    /// <summary>True when an Incr or Replace carries only key columns: it then inserts the row when missing and
    /// changes nothing otherwise (0 affected), like <c>ON CONFLICT DO NOTHING</c>.</summary>
    public static bool IsInsertIfMissing(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Operation is DbOperation.Incr or DbOperation.Replace && !(request.Operation == DbOperation.Incr && request.Options.NoUpsert)
            && request.Row.Keys.All(c => request.Table.PrimaryKeys.Contains(c));
    }

    /// <summary>Insert, or replace every non-key column of the existing row: given columns take the new values, the
    /// others become NULL (like SQLite's INSERT OR REPLACE, without REPLACE INTO's delete).</summary>
    private SqlStatement Put(DbRequest r) => new(RowText(r, "put", static (b, r, _) =>
    {
        var d = b.Dialect;
        var sets = r.Table.Columns.Where(c => c.Primary == 0)
            .Select(c => $"{d.Quote(c.Name)} = " + (r.Row.ContainsKey(c.Name) ? $"VALUES({d.Quote(c.Name)})" : "NULL"))
            .ToList();
        if (sets.Count == 0) sets.Add($"{d.Quote(r.Table.PrimaryKeys[0])} = {d.Quote(r.Table.PrimaryKeys[0])}");
        return ((MySqlSqlBuilder)b).Insert(r).Sql + " ON DUPLICATE KEY UPDATE " + string.Join(", ", sets);
    }), RowParameters(r.Row));

    /// <inheritdoc />
    protected override SqlStatement Incr(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options.NoUpsert) return UpdateExisting(request, incr: true);
        if (IsInsertIfMissing(request)) return InsertIfMissing(request);
        var (sql, p) = Insert(request);
        var sets = request.Row.Keys.Where(c => !request.Table.PrimaryKeys.Contains(c)).Select(c =>
        {
            var q = Dialect.Quote(c);
            return request.Table.Column(c)!.Type == ColumnType.Counter ? $"{q} = COALESCE({q}, 0) + COALESCE(VALUES({q}), 0)" : $"{q} = VALUES({q})";
        });
        return new SqlStatement(sql + " ON DUPLICATE KEY UPDATE " + string.Join(", ", sets), p);
    }

    /// <inheritdoc />
    protected override SqlStatement Replace(DbRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (IsInsertIfMissing(request)) return InsertIfMissing(request);
        var (sql, p) = Insert(request);
        var sets = request.Row.Keys.Where(c => !request.Table.PrimaryKeys.Contains(c)).Select(c => $"{Dialect.Quote(c)} = VALUES({Dialect.Quote(c)})");
        return new SqlStatement(sql + " ON DUPLICATE KEY UPDATE " + string.Join(", ", sets), p);
    }

    /// <summary>Inserts a key-only row unless it exists. A concurrent insert of the same key can still raise a
    /// duplicate error, which the driver counts as 0 affected.</summary>
    private SqlStatement InsertIfMissing(DbRequest r)
    {
        var p = new List<object?>();
        var cols = r.Row.Keys.ToList();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in cols)
        {
            p.Add(Dialect.ToParameter(r.Row[c]));
            names[c] = Dialect.Parameter(p.Count - 1);
        }
        var t = Dialect.Quote(r.Table.Name);
        var where = string.Join(" AND ", r.Table.PrimaryKeys.Select(k => $"{Dialect.Quote(k)} = {names[k]}"));
        var sql = $"INSERT INTO {t} ({string.Join(", ", cols.Select(Dialect.Quote))}) SELECT {string.Join(", ", cols.Select(c => names[c]))} FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE {where})";
        return new SqlStatement(sql, p);
    }

    private (string Sql, List<object?> Parameters) Insert(DbRequest r)
    {
        var p = new List<object?>();
        var cols = r.Row.Keys.ToList();
        var values = new List<string>();
        foreach (var c in cols)
        {
            p.Add(Dialect.ToParameter(r.Row[c]));
            values.Add(Dialect.Parameter(p.Count - 1));
        }
        return ($"INSERT INTO {Dialect.Quote(r.Table.Name)} ({string.Join(", ", cols.Select(Dialect.Quote))}) VALUES ({string.Join(", ", values)})", p);
    }
}
