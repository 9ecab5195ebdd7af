using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json;

namespace Backend.Data;

/// <summary>The database facade: one API for every driver. It validates the table and keys, converts values to
/// the column types (rejecting a wrong type before anything is written), fills defaults and <c>now</c> columns,
/// routes to the pool, and runs the registered row processors on what comes back.</summary>
public sealed class Db(TableRegistry tables, DbPools pools)
{
    private static readonly JsonSerializerOptions TypedOptions = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly ConcurrentDictionary<string, DbRowProcessor[]> _processors = new(StringComparer.Ordinal);

    /// <summary>The described tables.</summary>
    public TableRegistry Tables { get; } = tables;

    /// <summary>The pools.</summary>
    public DbPools Pools { get; } = pools;

    /// <summary>Creates or upgrades every described table in every pool.</summary>
    public async Task InitAsync(CancellationToken cancellationToken = default)
    {
        foreach (var pool in Pools.All) await pool.InitTablesAsync(Tables.All, cancellationToken);
    }

    /// <summary>The described table, or a 400 error for an undescribed one.</summary>
    public TableSchema Table(string name) => Tables.Get(name) ?? throw DbException.BadInput($"unknown table: {name}");

    /// <summary>Registers a row processor for a table (the reference's <c>db.setProcessRow</c>).</summary>
    public void SetProcessRow(string table, DbRowProcessor processor) =>
        _processors.AddOrUpdate(table, [processor], (_, list) => [.. list, processor]);

    /// <summary>One row by primary key, or null.</summary>
    public async Task<DbRow?> Get(string table, object keys, DbOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = Prepare(DbOperation.Get, table, keys, options);
        var result = await Pools.Resolve(request.Options.Pool, table).ExecuteAsync(request, cancellationToken);
        Process(request, result.Rows);
        return result.Rows.Count > 0 ? result.Rows[0] : null;
    }

    /// <summary>One row by primary key as a record (snake_case columns map to PascalCase properties), or default.</summary>
    public async Task<T?> Get<T>(string table, object keys, DbOptions? options = null, CancellationToken cancellationToken = default)
    {
        var row = await Get(table, keys, options, cancellationToken);
        if (row is null) return default;
        var renames = RowReader.Renames(typeof(T));
        if (renames.Count > 0)
        {
            row = new DbRow(row);
            foreach (var (column, property) in renames)
                if (row.Remove(column, out var v)) row[property] = v;
        }
        return JsonSerializer.SerializeToElement(row, TypedOptions).Deserialize<T>(TypedOptions);
    }

    /// <summary>Inserts a row; 409 when the key exists.</summary>
    public Task<DbResult> Add(string table, object row, DbOptions? options = null, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Add, table, row, options, cancellationToken);

    /// <summary>Inserts or replaces the whole row.</summary>
    public Task<DbResult> Put(string table, object row, DbOptions? options = null, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Put, table, row, options, cancellationToken);

    /// <summary>Updates the given columns of an existing row; <see cref="DbResult.Affected"/> is 0 when it does not exist.</summary>
    public Task<DbResult> Update(string table, object row, DbOptions? options = null, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Update, table, row, options, cancellationToken);

    /// <summary>Adds the given numbers to counter columns (sets other columns), creating the row when missing.</summary>
    public Task<DbResult> Incr(string table, object row, DbOptions? options = null, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Incr, table, row, options, cancellationToken);

    /// <summary>Deletes by primary key.</summary>
    public Task<DbResult> Del(string table, object keys, DbOptions? options = null, CancellationToken cancellationToken = default) =>
        Execute(DbOperation.Del, table, keys, options, cancellationToken);

    /// <summary>Rows matching the query's columns (compared with <see cref="DbOptions.Ops"/>), ordered by the sort
    /// column and primary key, at most <see cref="DbOptions.Count"/> per page.</summary>
    public async Task<DbResult> Select(string table, object? query, DbOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = Prepare(DbOperation.Select, table, query, options);
        var result = await Pools.Resolve(request.Options.Pool, table).ExecuteAsync(request, cancellationToken);
        Process(request, result.Rows);
        return result;
    }

    private async Task<DbResult> Execute(DbOperation op, string table, object? row, DbOptions? options, CancellationToken cancellationToken)
    {
        var request = Prepare(op, table, row, options);
        return await Pools.Resolve(request.Options.Pool, table).ExecuteAsync(request, cancellationToken);
    }

    /// <summary>Validates and converts a call into a driver request. Unknown columns are ignored (documented in docs/db.md).</summary>
    internal DbRequest Prepare(DbOperation op, string tableName, object? source, DbOptions? options)
    {
        var table = Table(tableName);
        options ??= new DbOptions();
        if (options.Count is < 0) throw DbException.BadInput("count must not be negative");
        var input = RowReader.Read(source, table);
        if (op == DbOperation.Select)
            return new DbRequest { Operation = op, Table = table, Conditions = Conditions(table, input, options), Options = options };

        var row = new DbRow();
        foreach (var (name, value) in input)
        {
            if (table.Column(name) is { } column) row[name] = DbValues.Convert(column, value);
        }
        foreach (var key in table.PrimaryKeys)
        {
            if (!row.TryGetValue(key, out var v) || v is null || v is string { Length: 0 })
                throw DbException.BadInput($"{table.Name}: missing primary key {key}");
        }
        if (op is DbOperation.Get or DbOperation.Del)
        {
            var keys = new DbRow();
            foreach (var key in table.PrimaryKeys) keys[key] = row[key];
            return new DbRequest { Operation = op, Table = table, Row = keys, Options = options };
        }
        if (op == DbOperation.Incr)
        {
            // An empty counter value adds nothing (it must not turn the counter into NULL).
            foreach (var c in table.Columns.Where(c => c.Type == ColumnType.Counter && row.TryGetValue(c.Name, out var v) && v is null)) row.Remove(c.Name);
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var column in table.Columns)
        {
            if (column.Now) row[column.Name] = now;
            else if (op is DbOperation.Add or DbOperation.Put && column.Value is not null && !row.ContainsKey(column.Name))
                row[column.Name] = DbValues.Convert(column, column.Value);
        }
        return new DbRequest { Operation = op, Table = table, Row = row, Options = options };
    }

    private static List<DbCondition> Conditions(TableSchema table, DbRow query, DbOptions options)
    {
        var list = new List<DbCondition>();
        foreach (var (name, value) in query)
        {
            if (table.Column(name) is not { } column) continue;
            var op = options.Ops.GetValueOrDefault(name, DbCompare.Eq);
            object? converted = op switch
            {
                DbCompare.In => Items(value).Select(v => DbValues.Convert(column, v)).ToList(),
                DbCompare.Between => Items(value).Select(v => DbValues.Convert(column, v)).ToList() is { Count: 2 } range
                    ? range
                    : throw DbException.BadInput($"between on {name} needs two values"),
                DbCompare.BeginsWith or DbCompare.Contains or DbCompare.Like => DbValues.ToText(value) ?? "",
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

    private void Process(DbRequest request, List<DbRow> rows)
    {
        if (request.Options.NoProcessRows || !_processors.TryGetValue(request.Table.Name, out var list)) return;
        foreach (var row in rows)
            foreach (var p in list) p(row, request.Options, request.Table);
    }
}
