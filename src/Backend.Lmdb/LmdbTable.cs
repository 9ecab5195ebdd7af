using System.Text;
using Backend.Data;

namespace Backend.Lmdb;

/// <summary>One described index of a table: its columns, its key (<c>C1,C2</c>) and its named database.</summary>
internal sealed record LmdbIndex(string Key, ColumnSchema[] Columns, string DbName);

/// <summary>What the driver derives once from a table's description: database names, key columns and indexes.</summary>
internal sealed class LmdbTable
{
    public LmdbTable(TableSchema table)
    {
        Table = table;
        DbName = "t:" + table.Name;
        KeyColumns = [.. table.PrimaryKeys.Select(k => table.Column(k)!)];
        Indexes = [.. table.Indexes.Select(ix => new LmdbIndex(string.Join(",", ix), [.. ix.Select(c => table.Column(c)!)], IndexDbName(string.Join(",", ix))))];
    }

    public TableSchema Table { get; }

    /// <summary>The named database of the rows.</summary>
    public string DbName { get; }

    public ColumnSchema[] KeyColumns { get; }

    public IReadOnlyList<LmdbIndex> Indexes { get; }

    /// <summary>The named database of an index (by its key <c>C1,C2</c>).</summary>
    public string IndexDbName(string key) => "i:" + Table.Name + ":" + key;

    /// <summary>The prefix of this table's entries in the meta database.</summary>
    public static byte[] MetaPrefix(string table) => Encoding.UTF8.GetBytes("ix:" + table + "\0");

    /// <summary>The encoded primary key of a row (missing key columns encode as NULL).</summary>
    public byte[] Pk(DbRow row) => LmdbKeys.Encode(KeyColumns, row);

    /// <summary>The key prefix given by equality conditions (non-null) on the leading primary-key columns.</summary>
    public byte[] KeyPrefix(IReadOnlyList<DbCondition> conditions)
    {
        var values = new DbRow();
        var columns = new List<ColumnSchema>();
        foreach (var k in KeyColumns)
        {
            var eq = conditions.FirstOrDefault(c => c.Column == k.Name && c.Op == DbCompare.Eq && c.Value is not null);
            if (eq is null) break;
            values[k.Name] = eq.Value;
            columns.Add(k);
        }
        return columns.Count == 0 ? [] : LmdbKeys.Encode(columns, values);
    }

    /// <summary>The key range a select reads: the equality prefix on the leading key columns, narrowed by a range
    /// condition (&gt;, &gt;=, &lt;, &lt;=, between, begins_with) on the next key column. <c>Lower</c> is where the cursor
    /// starts; reading goes on while a key starts with <c>Prefix</c> and is at most <c>Upper</c> or starts with it.
    /// The range is a superset (a &gt; starts at the value itself, a &lt; ends after it): every row is still checked
    /// against all conditions.</summary>
    public (byte[] Prefix, byte[] Lower, byte[]? Upper) KeyRange(IReadOnlyList<DbCondition> conditions)
    {
        var prefix = KeyPrefix(conditions);
        var n = 0;
        foreach (var k in KeyColumns)
        {
            if (!conditions.Any(c => c.Column == k.Name && c.Op == DbCompare.Eq && c.Value is not null)) break;
            n++;
        }
        if (n >= KeyColumns.Length) return (prefix, prefix, null);
        var column = KeyColumns[n];
        byte[]? lower = null, upper = null;
        foreach (var c in conditions)
        {
            if (c.Column != column.Name) continue;
            switch (c.Op)
            {
                case DbCompare.Gt or DbCompare.Ge when lower is null && LmdbKeys.Encodable(column, c.Value):
                    lower = LmdbKeys.Encode(column, c.Value);
                    break;
                case DbCompare.Lt or DbCompare.Le when upper is null && LmdbKeys.Encodable(column, c.Value):
                    upper = LmdbKeys.Encode(column, c.Value);
                    break;
                case DbCompare.Between when c.Value is IReadOnlyList<object?> { Count: 2 } r && LmdbKeys.Encodable(column, r[0]) && LmdbKeys.Encodable(column, r[1]):
                    lower ??= LmdbKeys.Encode(column, r[0]);
                    upper ??= LmdbKeys.Encode(column, r[1]);
                    break;
                case DbCompare.BeginsWith when column.Type == ColumnType.Text && c.Value is string s && lower is null && upper is null:
                    lower = upper = LmdbKeys.TextPrefix(s);
                    break;
            }
        }
        return (prefix, lower is null ? prefix : LmdbKeys.Concat(prefix, lower), upper is null ? null : LmdbKeys.Concat(prefix, upper));
    }

    /// <summary>An index whose first column has a non-null equality condition, with the range prefix to read.</summary>
    public (LmdbIndex Index, byte[] Prefix)? IndexFor(IReadOnlyList<DbCondition> conditions)
    {
        foreach (var ix in Indexes)
        {
            var values = new DbRow();
            var columns = new List<ColumnSchema>();
            foreach (var c in ix.Columns)
            {
                var eq = conditions.FirstOrDefault(x => x.Column == c.Name && x.Op == DbCompare.Eq && x.Value is not null);
                if (eq is null) break;
                values[c.Name] = eq.Value;
                columns.Add(c);
            }
            if (columns.Count > 0) return (ix, LmdbKeys.Encode(columns, values));
        }
        return null;
    }
}
