using System.Collections;
using System.Text.Json;

namespace Backend.Data;

/// <summary>Validation and conversion, the first part of the <see cref="Db"/> facade: turns a call's table name, row or
/// query object and options into a <see cref="DbRequest"/> a driver can run. It checks the table and the primary key,
/// converts every value to its column's type (a wrong type is a 400 before anything is written), fills defaults and
/// <c>now</c> columns, and bounds patterns and <c>in</c> lists. Unknown columns are ignored (documented in docs/db.md).
/// </summary>
internal sealed class DbRequestBuilder(TableRegistry tables, TimeProvider time)
{
    /// <summary>The described table, or a 400 error for an undescribed one.</summary>
    public TableSchema Table(string name) => tables.Get(name) ?? throw DbException.BadInput($"unknown table: {name}");

    /// <summary>Validates and converts one operation's input.</summary>
    public DbRequest Prepare(DbOperation op, string tableName, object? source, DbOptions? options)
    {
        var table = Table(tableName);
        options ??= DbOptions.None;
        if (options.Count is < 0) throw DbException.BadInput("count must not be negative");
        if (options.Select is { Count: > 0 } select && !select.All(table.HasColumn))
        {
            // Unknown columns are ignored everywhere, so a select of only unknown columns means whole rows.
            options = options.Clone();
            var known = select.Where(table.HasColumn).ToList();
            options.Select = known.Count > 0 ? known : null;
        }
        var input = RowReader.Read(source, table);
        if (op == DbOperation.Select)
            return new DbRequest { Operation = op, Table = table, Conditions = Conditions(table, input, options), Options = options };
        if (op == DbOperation.UpdateAll)
        {
            var values = new DbRow();
            foreach (var (name, value) in input)
                if (table.Column(name) is { Primary: 0 } column) values[name] = DbValues.Convert(column, value);
            foreach (var column in table.Columns.Where(c => c.Now)) values[column.Name] = time.GetUtcNow().ToUnixTimeMilliseconds();
            return new DbRequest { Operation = op, Table = table, Row = values, Options = options };
        }

        if (op is DbOperation.Get or DbOperation.Del)
        {
            // Only the key matters: convert just those values (the request path reads accounts this way). A Get whose
            // row is just the keys, each already of its column's type, is sent as it is, without a copy; the request
            // is read before the call returns and never kept.
            var keyColumns = table.KeyColumns;
            if (op == DbOperation.Get && input.Count == keyColumns.Length && KeysReady(input, keyColumns))
                return new DbRequest { Operation = op, Table = table, Row = input, Options = options };
            var keys = new DbRow(keyColumns.Length);
            foreach (var column in keyColumns)
                keys[column.Name] = RequireKey(table, column.Name, input.TryGetValue(column.Name, out var kv) ? DbValues.Convert(column, kv) : null);
            return new DbRequest { Operation = op, Table = table, Row = keys, Options = options };
        }
        var row = new DbRow();
        foreach (var (name, value) in input)
        {
            if (table.Column(name) is { } column) row[name] = DbValues.Convert(column, value);
        }
        foreach (var key in table.PrimaryKeys) RequireKey(table, key, row.GetValueOrDefault(key));
        if (op == DbOperation.Incr)
        {
            // An empty counter value adds nothing (it must not turn the counter into NULL).
            foreach (var c in table.Columns.Where(c => c.Type == ColumnType.Counter && row.TryGetValue(c.Name, out var v) && v is null)) row.Remove(c.Name);
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var column in table.Columns)
        {
            if (column.Now) row[column.Name] = now;
            // Defaults only where the whole row is written; Replace updates just the given columns of an existing row.
            else if (op is DbOperation.Add or DbOperation.Put && column.Value is not null && !row.ContainsKey(column.Name))
                row[column.Name] = DbValues.Convert(column, column.Value);
        }
        return new DbRequest { Operation = op, Table = table, Row = row, Options = options };
    }

    /// <summary>UpdateAll: the values as <see cref="Prepare"/> converts them, and the query's conditions (at least one).</summary>
    public DbRequest UpdateAll(string table, object query, object values, DbOptions? options)
    {
        var prepared = Prepare(DbOperation.UpdateAll, table, values, options);
        return new DbRequest
        {
            Operation = DbOperation.UpdateAll,
            Table = prepared.Table,
            Row = prepared.Row,
            Options = prepared.Options,
            Conditions = RequireConditions(prepared.Table, query, prepared.Options),
        };
    }

    /// <summary>DelAll: the query's conditions (at least one).</summary>
    public DbRequest DelAll(string table, object query, DbOptions? options)
    {
        var t = Table(table);
        options ??= DbOptions.None;
        return new DbRequest { Operation = DbOperation.DelAll, Table = t, Options = options, Conditions = RequireConditions(t, query, options) };
    }

    /// <summary>Search or Query: a driver-native request, not validated beyond the table (never client input as text).</summary>
    public DbRequest Native(DbOperation op, string table, DbNativeQuery query, DbOptions? options)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new DbRequest { Operation = op, Table = Table(table), Options = options ?? DbOptions.None, Native = query };
    }

    /// <summary>The items of a batch, each prepared as its own operation; only writes of one row are allowed.</summary>
    public List<DbRequest> Batch(IEnumerable<DbBatchItem> items, DbOptions options)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items.Select(i => i.Operation is DbOperation.Add or DbOperation.Put or DbOperation.Update or DbOperation.Incr or DbOperation.Replace or DbOperation.Del
            ? Prepare(i.Operation, i.Table, i.Row, options)
            : throw DbException.BadInput($"batch cannot {i.Operation}")).ToList();
    }

    /// <summary>True when the row has a value for every key column that converting would leave as it is.</summary>
    private static bool KeysReady(DbRow row, ColumnSchema[] keyColumns)
    {
        foreach (var column in keyColumns)
        {
            if (!row.TryGetValue(column.Name, out var v) || v is null or string { Length: 0 } || !ReferenceEquals(DbValues.Convert(column, v), v)) return false;
        }
        return true;
    }

    private static object RequireKey(TableSchema table, string key, object? value) =>
        value is null or string { Length: 0 } ? throw DbException.BadInput($"{table.Name}: missing primary key {key}") : value;

    private static List<DbCondition> RequireConditions(TableSchema table, object query, DbOptions options)
    {
        var conditions = Conditions(table, RowReader.Read(query, table), options);
        return conditions.Count > 0 ? conditions : throw DbException.BadInput($"{table.Name}: a condition is required to change many rows");
    }

    private static List<DbCondition> Conditions(TableSchema table, DbRow query, DbOptions options)
    {
        var list = new List<DbCondition>();
        foreach (var (name, value) in query)
        {
            if (table.Column(name) is not { } column) continue;
            var op = options.OpFor(name);
            object? converted = op switch
            {
                DbCompare.In => Items(value).Select(v => DbValues.Convert(column, v)).ToList() is { Count: <= Db.MaxInValues } values
                    ? values
                    : throw DbException.BadInput($"in on {name} takes at most {Db.MaxInValues} values"),
                DbCompare.Between => Items(value).Select(v => DbValues.Convert(column, v)).ToList() is { Count: 2 } range
                    ? range
                    : throw DbException.BadInput($"between on {name} needs two values"),
                DbCompare.BeginsWith or DbCompare.Contains or DbCompare.Like => DbValues.ToText(value) is { Length: > Db.MaxPatternLength }
                    ? throw DbException.BadInput($"the pattern for {name} is longer than {Db.MaxPatternLength} characters")
                    : DbValues.ToText(value) ?? "",
                _ => DbValues.Convert(column, value),
            };
            list.Add(new DbCondition(name, op, converted));
        }
        return list;
    }

    /// <summary>A list value: an enumerable, a JSON array, or comma-separated text (as the HTTP API sends it).</summary>
    private static IEnumerable<object?> Items(object? value) => value switch
    {
        null => [],
        string s => s.Split(',', StringSplitOptions.TrimEntries),
        JsonElement { ValueKind: JsonValueKind.Array } e => e.EnumerateArray().Select(x => (object?)x),
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!.Split(',', StringSplitOptions.TrimEntries),
        IEnumerable e => e.Cast<object?>(),
        _ => [value],
    };
}
