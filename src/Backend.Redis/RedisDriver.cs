using System.Collections.Concurrent;
using System.Globalization;
using Backend.Data;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Backend.Redis;

/// <summary>The Redis driver (StackExchange.Redis): every operation of the database API over hashes and sorted sets.
/// <para>Key layout (details and value encodings in <see cref="RedisLayout"/>), for table T:
/// <c>bk:{T}:r:PK</c> a HASH per row (column -&gt; stored text, plus a hidden <c>"\0e:COL"</c> field with the order
/// encoding of each indexed column); <c>bk:{T}:pk</c> a ZSET of every PK, score 0, in key order;
/// <c>bk:{T}:ix:C1,C2</c> a ZSET per index with members <c>enc(C1) enc(C2) PK len(PK)</c>; <c>bk:{T}:ixs</c> the SET
/// of built indexes. PK and index members use an order-preserving encoding, so ZRANGEBYLEX walks rows in the SQL
/// drivers' order (NULLs first, text in code point order, numbers numerically).</para>
/// <para>Writes run as one Lua script (atomic): the row, its PK entry and its index entries change together; a batch
/// is one script too, checked before anything is written (an Add conflict leaves nothing written).</para>
/// <para>Select reads a range of the PK ZSET or of an index (equality on leading columns plus one range condition,
/// or an <c>in</c> read as one range per value, on the next), each batch of members and their rows in one atomic script
/// (a batch of the PK ZSET with only key conditions: the range, then the rows pipelined), and checks every condition in the driver.
/// When the range is already in the requested order, reading stops after count + 1 matches and the paging token
/// continues the range after the last row; otherwise (sort on a column without a matching index, or an index chosen
/// for its condition) all matching rows are read and sorted in memory on every page: O(matching rows).</para>
/// <para>Time limit and cancellation: Redis runs each command or script to its end (StackExchange.Redis has no way to
/// cancel one that was sent, and the driver never runs SCRIPT KILL on a shared server), so both act between round
/// trips: a select reading batch after batch (and the search phase of UpdateAll/DelAll) stops when the caller's token
/// is cancelled, or with a <see cref="DbTimeout"/> 504 once it has run for <c>-db-redis-timeout</c>. A single command
/// that does not answer within <c>-db-connect-timeout</c> (the client's command timeout) is a 503, as before: the
/// server is unreachable or stuck. The write phase of UpdateAll/DelAll (chunks of 500 rows) runs to its end.</para></summary>
internal sealed partial class RedisDriver : IDbDriver
{
    private const int ReadBatch = 1000;
    private const int WriteChunk = 500;
    private readonly Task<ConnectionMultiplexer> _connection;
    private readonly ConcurrentDictionary<TableSchema, TableKeys> _keys = new();
    private readonly ILogger _logger;
    private readonly int _timeoutMs;

    /// <summary>Starts connecting (in the background: a dead server never blocks start-up; calls answer 503 until it is
    /// up), with the default time limit of 30 s per call.</summary>
    public RedisDriver(string name, ConfigurationOptions options, ILogger<RedisDriver> logger)
        : this(name, options, DefaultTimeoutMs, logger)
    {
    }

    /// <summary>Starts connecting (in the background: a dead server never blocks start-up; calls answer 503 until it is
    /// up); a call reading many batches stops after <paramref name="timeoutMs"/>.</summary>
    public RedisDriver(string name, ConfigurationOptions options, int timeoutMs, ILogger<RedisDriver> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutMs);
        Name = name;
        Options = options;
        _logger = logger;
        _timeoutMs = timeoutMs;
        _connection = ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>The time limit of a call when none is given (the default of <c>-db-timeout</c>).</summary>
    public const int DefaultTimeoutMs = 30_000;

    /// <summary>The time limit of a call, in milliseconds.</summary>
    public int TimeoutMs => _timeoutMs;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public DbQuerySyntax QuerySyntax => DbQuerySyntax.None;

    /// <summary>The connection options in use.</summary>
    public ConfigurationOptions Options { get; }

    private TableKeys Keys(TableSchema table) => _keys.GetOrAdd(table, t => new TableKeys(t));

    // Synchronous once connected (every call after start-up): no async state machine for the common case.
    private ValueTask<IDatabase> Database(CancellationToken cancellationToken) => _connection.IsCompletedSuccessfully
        ? new(Connected(_connection.Result))
        : Connecting(cancellationToken);

    private async ValueTask<IDatabase> Connecting(CancellationToken cancellationToken) => Connected(await _connection.WaitAsync(cancellationToken));

    private IDatabase Connected(ConnectionMultiplexer mux) =>
        mux.IsConnected ? mux.GetDatabase() : throw new DbException(DbErrorKind.Unavailable, $"{Name}: redis is not reachable at {Describe(Options)}");

    private static string Describe(ConfigurationOptions o) => string.Join(",", o.EndPoints.Select(e => e.ToString()));

    /// <inheritdoc />
    public async Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        await Guard(async () =>
        {
            var db = await Database(cancellationToken);
            foreach (var table in tables)
            {
                var keys = Keys(table);
                var built = (await db.SetMembersAsync(keys.Built)).Select(v => (string)v!).ToHashSet(StringComparer.Ordinal);
                foreach (var stale in built.Where(b => keys.Indexes.All(ix => ix.Name != b)))
                {
                    await db.KeyDeleteAsync(keys.IndexKey(stale));
                    await db.SetRemoveAsync(keys.Built, stale);
                    LogIndexDropped(_logger, table.Name, stale);
                }
                foreach (var ix in keys.Indexes.Where(ix => !built.Contains(ix.Name)))
                {
                    var rows = await Backfill(db, keys, ix, cancellationToken);
                    await db.SetAddAsync(keys.Built, ix.Name);
                    LogIndexBuilt(_logger, table.Name, ix.Name, rows);
                }
            }
            return 0;
        }, "init");
    }

    /// <inheritdoc />
    // Get, Select and single-row writes, the hot calls, run in one async method each, with their own error translation:
    // every nested async layer costs a state machine and a continuation on the thread that completes the reply.
    public Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken) => request switch
    {
        { Operation: DbOperation.Get } => Get(request, cancellationToken),
        { Operation: DbOperation.Select } => Select(request, cancellationToken),
        { Operation: DbOperation.Add or DbOperation.Put or DbOperation.Update or DbOperation.Incr or DbOperation.Replace or DbOperation.Del } =>
            WriteOne(request, cancellationToken),
        _ => ExecuteOther(request, cancellationToken),
    };

    private async Task<DbResult> ExecuteOther(DbRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await Execute(request, cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            // The operation's name is only formatted here: building it up front (as a Guard argument) cost an
            // allocation on every successful call.
            throw Translate(ex, $"{request.Operation} {request.Table.Name}");
        }
    }

    private async Task<DbResult> Execute(DbRequest request, CancellationToken cancellationToken)
    {
        var db = await Database(cancellationToken);
        switch (request.Operation)
        {
            case DbOperation.List:
                return await List(db, request);
            case DbOperation.Batch:
                return new DbResult { Affected = await Write(db, request.Batch) };
            case DbOperation.UpdateAll:
                if (request.Row.Count == 0) throw new DbException(DbErrorKind.BadInput, $"{request.Table.Name}: nothing to update");
                return new DbResult { Affected = await ChangeAll(db, request, DbOperation.Update, cancellationToken) };
            case DbOperation.DelAll:
                return new DbResult { Affected = await ChangeAll(db, request, DbOperation.Del, cancellationToken) };
            case DbOperation.Search:
                throw new DbException(DbErrorKind.NotSupported, "search is not supported by the redis driver: use select with conditions (ops)");
            case DbOperation.Query:
                return await Query(db, request);
            default:
                throw new DbException(DbErrorKind.NotSupported, $"{request.Operation} is not supported by the redis driver");
        }
    }

    /// <summary>Runs a call that is not on the request path (table initialisation) with Redis errors translated.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> action, string what)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            throw Translate(ex, what);
        }
    }

    /// <summary>Connection trouble is a 503, other Redis errors a 500.</summary>
    private DbException Translate(Exception ex, string what) => ex switch
    {
        RedisConnectionException => new DbException(DbErrorKind.Unavailable, $"{Name}: redis is not reachable: {ex.Message}", ex),
        RedisTimeoutException => new DbException(DbErrorKind.Unavailable, $"{Name}: redis timed out: {ex.Message}", ex),
        RedisServerException when IsUnavailable(ex.Message) => new DbException(DbErrorKind.Unavailable, $"{Name}: redis is unavailable: {ex.Message}", ex),
        _ => new DbException(DbErrorKind.Failed, $"{Name}: {what} failed: {ex.Message}", ex),
    };

    private static readonly string[] UnavailableErrors = ["LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "OOM", "NOAUTH", "WRONGPASS"];

    private static bool IsUnavailable(string message) => UnavailableErrors.Any(p => message.StartsWith(p, StringComparison.Ordinal));

    // ---- reads by key ----

    private async Task<DbResult> Get(DbRequest r, CancellationToken cancellationToken)
    {
        try
        {
            var db = await Database(cancellationToken);
            var keys = Keys(r.Table);
            var row = ToRow(keys, await db.HashGetAllAsync(keys.RowKeyOf(r.Row)));
            return new DbResult { Rows = row is null ? [] : [Project(r.Table, row, r.Options.Select, [])] };
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            throw Translate(ex, $"{r.Operation} {r.Table.Name}");
        }
    }

    /// <summary>All rows of the keys, pipelined, in key order (like the SQL drivers' IN over the primary key); duplicates and missing rows left out.</summary>
    private async Task<DbResult> List(IDatabase db, DbRequest r)
    {
        var keys = Keys(r.Table);
        var pks = r.Keys.Select(keys.PkOf).DistinctBy(Convert.ToBase64String).OrderBy(k => k, ByteComparer.Instance).ToList();
        var reads = pks.Select(pk => db.HashGetAllAsync(keys.Row(pk))).ToList();
        var rows = new List<DbRow>();
        foreach (var read in reads)
            if (ToRow(keys, await read) is { } row) rows.Add(Project(r.Table, row, r.Options.Select, []));
        return new DbResult { Rows = rows };
    }

    /// <summary>A typed row from a hash's fields (HGETALL), or null for no fields.</summary>
    private static DbRow? ToRow(TableKeys keys, HashEntry[] entries)
    {
        if (entries.Length == 0) return null;
        var values = new RowValues(keys);
        foreach (var e in entries) values.Set(e.Name, e.Value);
        return values.ToRow();
    }

    /// <summary>A typed row from a script's HGETALL reply (field, value, field, value, ...), or null for no fields.</summary>
    private static DbRow? ToRow(TableKeys keys, RedisResult[] fields)
    {
        if (fields.Length < 2) return null;
        var values = new RowValues(keys);
        for (var j = 0; j + 1 < fields.Length; j += 2) values.Set((RedisValue)fields[j], (RedisValue)fields[j + 1]);
        return values.ToRow();
    }

    /// <summary>Collects a stored row's described columns (hidden encoding fields and unknown columns are left out)
    /// and returns them in table order. Decodes straight from the reply's bytes: field names are matched against
    /// the columns' UTF-8 names and numbers parsed from UTF-8, with no intermediate dictionary or strings. Values
    /// are exactly what <see cref="DbValues.FromStore"/> makes of the stored text (anything the fast paths do not
    /// recognise goes through it).</summary>
    private struct RowValues(TableKeys keys)
    {
        private static readonly object Missing = new(), True = true, False = false;
        private object?[]? _values;
        private int _count, _next;

        public void Set(RedisValue name, RedisValue value)
        {
            var i = keys.ColumnIndex(((ReadOnlyMemory<byte>)name).Span, _next);
            if (i < 0) return;
            if (_values is null)
            {
                _values = new object?[keys.Table.Columns.Count];
                Array.Fill(_values, Missing);
            }
            if (ReferenceEquals(_values[i], Missing)) _count++;
            _values[i] = Decode(keys.Table.Columns[i], value);
            _next = i + 1; // rows are written in column order, so the next field is most likely the next column
        }

        public readonly DbRow ToRow()
        {
            var row = new DbRow(_count);
            if (_values is null) return row;
            var columns = keys.Table.Columns;
            for (var i = 0; i < _values.Length; i++)
                if (!ReferenceEquals(_values[i], Missing)) row[columns[i].Name] = _values[i];
            return row;
        }

        private static object? Decode(ColumnSchema column, RedisValue value)
        {
            var bytes = ((ReadOnlyMemory<byte>)value).Span;
            switch (column.Type)
            {
                case ColumnType.Text:
                    return (string?)value;
                case ColumnType.Int or ColumnType.BigInt or ColumnType.Counter
                    when long.TryParse(bytes, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l):
                    return l;
                case ColumnType.Real when double.TryParse(bytes, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d):
                    return d;
                case ColumnType.Bool when bytes.Length == 1 && bytes[0] is (byte)'0' or (byte)'1':
                    return bytes[0] == '1' ? True : False;
            }
            return DbValues.FromStore(column, (string?)value);
        }
    }

    /// <summary>Keeps the selected columns plus the ones required for paging, like the SQL select list: no known
    /// selected column means the whole row.</summary>
    private static DbRow Project(TableSchema table, DbRow row, IReadOnlyList<string>? select, IReadOnlyList<ColumnSchema> required)
    {
        if (select is null) return row;
        var names = select.Where(table.HasColumn).Concat(required.Select(c => c.Name)).ToHashSet(StringComparer.Ordinal);
        if (names.Count == 0) return row;
        var projected = new DbRow();
        foreach (var (k, v) in row)
            if (names.Contains(k)) projected[k] = v;
        return projected;
    }

    // ---- writes ----

    /// <summary>One write (Add, Put, Update, Incr, Replace, Del) as one script.</summary>
    private async Task<DbResult> WriteOne(DbRequest r, CancellationToken cancellationToken)
    {
        try
        {
            var db = await Database(cancellationToken);
            return new DbResult { Affected = await Write(db, [r]) };
        }
        catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
        {
            throw Translate(ex, $"{r.Operation} {r.Table.Name}");
        }
    }

    /// <summary>Runs writes as one script (chunked only for UpdateAll/DelAll); returns the affected count.</summary>
    private async Task<int> Write(IDatabase db, IReadOnlyList<DbRequest> requests)
    {
        if (requests is [{ Operation: DbOperation.Put } put] && Keys(put.Table) is { Indexes.Count: 0 } tk && PutArgs(put, tk) is var (row, putArgs))
            return (int)(long)await RedisScripts.PutScript.EvaluateAsync(db, [row, tk.Pk], putArgs);
        var keys = new List<RedisKey>();
        var args = new List<RedisValue> { requests.Count };
        foreach (var r in requests) AddItem(r, Keys(r.Table), keys, args);
        var result = (RedisResult[])(await RedisScripts.WriteScript.EvaluateAsync(db, [.. keys], [.. args]))!;
        var code = (long)result[0];
        if (code >= 0) return (int)code;
        var item = requests[(int)(long)result[1] - 1];
        throw (WriteFailure)code switch
        {
            WriteFailure.KeyExists => new DbException(DbErrorKind.Conflict, $"{item.Table.Name}: a record with this key already exists"),
            WriteFailure.CounterOverflow => new DbException(DbErrorKind.BadInput, $"{item.Table.Name}: counter {(string?)result[2]} would overflow"),
            // WriteFailure.CounterFailed, the only other code the script answers.
            _ => new DbException(DbErrorKind.BadInput, $"{item.Table.Name}: cannot add to counter {(string?)result[2]}: {(string?)result[3]}"),
        };
    }

    /// <summary>The failures <see cref="RedisScripts.Write"/> answers with a negative first element (see there).</summary>
    private enum WriteFailure : long
    {
        /// <summary>An Add's key exists: nothing was written.</summary>
        KeyExists = -1,

        /// <summary>A counter would overflow: nothing was written.</summary>
        CounterOverflow = -2,

        /// <summary>HINCRBY failed anyway (the stored value is not an integer): that item's counters were restored.</summary>
        CounterFailed = -3,
    }

    /// <summary>The row key and the arguments of <see cref="RedisScripts.Put"/> (PK, then the set section <see cref="AddItem"/> would
    /// write for a Put: every described column with a value; there are no encoding fields without indexes), or null
    /// when there is no field to set (HSET needs one; the general script handles that case).</summary>
    private static (RedisKey Row, RedisValue[] Args)? PutArgs(DbRequest r, TableKeys k)
    {
        var pk = k.PkOf(r.Row);
        var n = 0;
        foreach (var (name, value) in r.Row)
            if (value is not null && k.Table.HasColumn(name)) n++;
        if (n == 0) return null;
        var args = new RedisValue[1 + 2 * n];
        args[0] = pk;
        var at = 1;
        foreach (var (name, value) in r.Row)
        {
            if (value is null || !k.Table.HasColumn(name)) continue;
            args[at++] = name;
            args[at++] = RedisLayout.Stored(value);
        }
        return (k.Row(pk), args);
    }

    private static void AddItem(DbRequest r, TableKeys k, List<RedisKey> keys, List<RedisValue> args)
    {
        var op = RedisWriteOps.Of(r);
        var writes = RedisWriteOps.WritesColumns(op);
        var pk = k.PkOf(r.Row);
        var kbase = keys.Count + 1;
        keys.Add(k.Row(pk));
        keys.Add(k.Pk);
        foreach (var ix in k.Indexes) keys.Add(ix.Key);
        // Whether non-key columns are written, and which indexes they touch, without building a set of them.
        var changes = false;
        if (writes)
            foreach (var name in r.Row.Keys)
                if (k.Table.Column(name) is { Primary: 0 }) changes = true;
        args.Add(RedisWriteOps.Token(op));
        args.Add(kbase);
        args.Add(pk);
        args.Add(changes ? "1" : "0");
        args.Add(k.Indexes.Count);
        foreach (var ix in k.Indexes)
        {
            var affected = false;
            if (writes)
                foreach (var c in ix.Columns)
                    if (c.Primary == 0 && r.Row.ContainsKey(c.Name)) affected = true;
            args.Add(affected ? "1" : "0");
            args.Add(ix.Columns.Count);
            foreach (var c in ix.Columns) args.Add(c.Name);
        }
        // The three sections (sets, deletes, increments) go straight into args, each after its count, one pass per
        // section in the row's order: no intermediate lists on the write path.
        var counters = RedisWriteOps.AddsToCounters(op);
        var at = args.Count;
        args.Add(0);
        var count = 0;
        if (writes)
        {
            foreach (var (name, value) in r.Row)
            {
                if (value is null || k.Table.Column(name) is not { } column) continue;
                if (counters && column is { Type: ColumnType.Counter, Primary: 0 }) continue;
                args.Add(name);
                args.Add(RedisLayout.Stored(value));
                count++;
                if (!k.Indexed.Contains(name)) continue;
                args.Add(RedisLayout.EncPrefix + name);
                args.Add(RedisLayout.Encode(column, value));
                count++;
            }
        }
        args[at] = count;
        at = args.Count;
        args.Add(0);
        count = 0;
        if (writes && RedisWriteOps.IsPartial(op))
        {
            foreach (var (name, value) in r.Row)
            {
                if (value is not null || !k.Table.HasColumn(name)) continue;
                args.Add(name);
                count++;
                if (!k.Indexed.Contains(name)) continue;
                args.Add(RedisLayout.EncPrefix + name);
                count++;
            }
        }
        args[at] = count;
        at = args.Count;
        args.Add(0);
        count = 0;
        if (counters)
        {
            foreach (var (name, value) in r.Row)
            {
                if (value is null || k.Table.Column(name) is not { Type: ColumnType.Counter, Primary: 0 }) continue;
                args.Add(name);
                args.Add(RedisLayout.Stored(value));
                args.Add(k.Indexed.Contains(name) ? "1" : "0");
                count++;
            }
        }
        args[at] = count;
    }

    /// <summary>UpdateAll/DelAll: finds the matching keys, then applies the change to each in scripts of 500 rows
    /// (each script atomic; a row changed after it was found is still changed).</summary>
    private async Task<int> ChangeAll(IDatabase db, DbRequest r, DbOperation op, CancellationToken cancellationToken)
    {
        var select = new DbRequest { Operation = DbOperation.Select, Table = r.Table, Conditions = r.Conditions, Options = new DbOptions() };
        var found = await SelectRows(db, select, cancellationToken);
        var affected = 0;
        foreach (var chunk in found.Rows.Chunk(WriteChunk))
        {
            var writes = chunk.Select(row =>
            {
                var w = new DbRow();
                foreach (var key in r.Table.PrimaryKeys) w[key] = row[key];
                if (op == DbOperation.Update)
                    foreach (var (name, value) in r.Row) w[name] = value;
                return new DbRequest { Operation = op, Table = r.Table, Row = w, Options = r.Options };
            }).ToList();
            affected += await Write(db, writes);
        }
        return affected;
    }

    // ---- native ----

    /// <summary>Commands that change the state of the one shared connection (or block it).</summary>
    private static readonly HashSet<string> ConnectionCommands = new(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE",
        "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "QUIT", "RESET", "AUTH", "HELLO", "CLIENT", "READONLY", "READWRITE",
        "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP", "XREAD", "XREADGROUP", "WAIT",
        "SYNC", "PSYNC", "REPLICAOF", "SLAVEOF", "SHUTDOWN", "DEBUG",
    };

    /// <summary>Query: one raw Redis command. The text is split on spaces; a word <c>@name</c> is replaced by that
    /// parameter's value as one argument (never spliced into other text). Integer replies are the affected count;
    /// other replies come back as rows <c>{"value": ...}</c>, one per array element. Commands that would change or block
    /// the shared connection (SELECT, MULTI, SUBSCRIBE, blocking pops, ...) are a 400. Never pass client input as the text.</summary>
    private static async Task<DbResult> Query(IDatabase db, DbRequest r)
    {
        var words = r.Native!.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0) throw new DbException(DbErrorKind.BadInput, "empty redis command");
        if (ConnectionCommands.Contains(words[0]))
            throw new DbException(DbErrorKind.BadInput, $"{words[0].ToUpperInvariant()} would change the shared connection and cannot be run by query");
        var args = new List<object>();
        foreach (var w in words.Skip(1))
        {
            if (w.Length > 1 && w[0] == '@')
            {
                if (r.Native.Parameters is null || !r.Native.Parameters.TryGetValue(w[1..], out var value))
                    throw new DbException(DbErrorKind.BadInput, $"query parameter {w} has no value");
                args.Add(value is null ? "" : RedisLayout.Stored(value));
            }
            else
            {
                args.Add(w);
            }
        }
        RedisResult result;
        try
        {
            result = await db.ExecuteAsync(words[0], args);
        }
        catch (RedisServerException ex)
        {
            // The server refused the command itself (unknown command, wrong arguments): the text is what is wrong.
            throw new DbException(DbErrorKind.BadInput, $"redis: {ex.Message}", ex);
        }
        var rows = new List<DbRow>();
        if (result.Resp2Type == ResultType.Integer) return new DbResult { Affected = (int)(long)result };
        if (result.IsNull) return new DbResult();
        foreach (var item in result.Resp2Type == ResultType.Array ? (RedisResult[])result! : [result])
            rows.Add(new DbRow { ["value"] = item.Resp2Type == ResultType.Integer ? (long)item : (string?)item });
        return new DbResult { Rows = rows };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            var mux = await _connection;
            await mux.DisposeAsync();
        }
        catch (Exception)
        {
            // never connected: nothing to close
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "redis: built index {Table}({Index}) from {Rows} rows")]
    private static partial void LogIndexBuilt(ILogger logger, string table, string index, int rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "redis: dropped index {Table}({Index}), no longer described")]
    private static partial void LogIndexDropped(ILogger logger, string table, string index);
}

/// <summary>Bytewise (memcmp) order, the order of ZRANGEBYLEX.</summary>
internal sealed class ByteComparer : IComparer<byte[]>
{
    public static ByteComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
