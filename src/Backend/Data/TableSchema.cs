using System.Text;
using System.Collections.Frozen;

namespace Backend.Data;

/// <summary>A described table: its columns in declaration order and the keys derived from them.</summary>
public sealed class TableSchema
{
    private readonly FrozenDictionary<string, ColumnSchema> _byName;

    /// <summary>Creates a schema; at least one column must be primary.</summary>
    public TableSchema(string name, IEnumerable<ColumnSchema> columns)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!Identifier.IsValid(name)) throw new ArgumentException($"invalid table name: {name}", nameof(name));
        Name = name;
        Columns = [.. columns];
        foreach (var c in Columns)
        {
            if (!Identifier.IsValid(c.Name)) throw new ArgumentException($"invalid column name in {name}: {c.Name}", nameof(columns));
        }
        _byName = Columns.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);
        if (_byName.Count != Columns.Count) throw new ArgumentException($"duplicate column in {name}", nameof(columns));
        KeyColumns = [.. Columns.Where(c => c.Primary > 0).OrderBy(c => c.Primary)];
        PrimaryKeys = [.. KeyColumns.Select(c => c.Name)];
        if (PrimaryKeys.Count == 0) throw new ArgumentException($"table {name} has no primary key", nameof(columns));
        Indexes = [.. Columns.Where(c => c.Index > 0).GroupBy(c => c.Index).OrderBy(g => g.Key).Select(g => (IReadOnlyList<string>)[.. g.Select(c => c.Name)])];
    }

    /// <summary>Table name.</summary>
    public string Name { get; }

    /// <summary>Columns in declaration order.</summary>
    public IReadOnlyList<ColumnSchema> Columns { get; }

    /// <summary>Primary key column names, in key order.</summary>
    public IReadOnlyList<string> PrimaryKeys { get; }

    /// <summary>The primary key columns, in key order (the columns of <see cref="PrimaryKeys"/>).</summary>
    internal ColumnSchema[] KeyColumns { get; }

    /// <summary>Secondary indexes, each a list of column names.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Indexes { get; }

    /// <summary>Finds a column by name.</summary>
    public ColumnSchema? Column(string name) => _byName.GetValueOrDefault(name);

    /// <summary>True when the table has the column.</summary>
    public bool HasColumn(string name) => _byName.ContainsKey(name);

    /// <summary>Returns a copy with the given columns added or, for existing names, replaced (apps extend built-in tables this way).</summary>
    public TableSchema Merge(IEnumerable<ColumnSchema> columns)
    {
        var list = Columns.ToList();
        foreach (var c in columns)
        {
            var i = list.FindIndex(x => x.Name == c.Name);
            if (i >= 0) list[i] = c; else list.Add(c);
        }
        return new TableSchema(Name, list);
    }

    /// <summary>The deterministic name of an index of this table over the given columns (every driver names its indexes
    /// so: SQL indexes, DynamoDB global secondary indexes): readable table and column names, cut so
    /// the whole fits PostgreSQL's 63 characters, plus a hash of the exact names, since joining names with '_' alone
    /// is ambiguous (table a_b on c and table a on b_c) and index names share one namespace per database.</summary>
    public string IndexName(IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var readable = Name + "_" + string.Join("_", columns);
        if (readable.Length > 48) readable = readable[..48];
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Name + "\0" + string.Join("\0", columns)));
        return readable + "_" + Convert.ToHexStringLower(hash)[..8] + "_idx";
    }

    /// <summary>The columns a select on this table orders by (on every driver): the sort column when it names a known column, then the rest of the
    /// primary key (which makes the order total, so keyset tokens are exact).</summary>
    public IReadOnlyList<ColumnSchema> OrderColumns(DbOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var list = new List<ColumnSchema>();
        if (options.Sort is { } sort && Column(sort) is { } sc) list.Add(sc);
        list.AddRange(PrimaryKeys.Where(k => k != options.Sort).Select(k => Column(k)!));
        return list;
    }
}
