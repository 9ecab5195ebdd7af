using System.Collections.Concurrent;
using Backend.Data;
using LightningDB;
using Microsoft.Extensions.Logging;

namespace Backend.Lmdb;

/// <summary>The LMDB driver (LightningDB over the system's liblmdb): every operation of the database API over one
/// embedded LMDB environment per pool.
/// <para>Layout (encodings in <see cref="LmdbKeys"/>), for table T: the named database <c>t:T</c> maps the
/// order-preserving encoding of the primary key to the row (a JSON object of stored texts); for each described index
/// over C1,C2 the named database <c>i:T:C1,C2</c> maps <c>enc(C1) enc(C2) PK</c> to PK; the database <c>bk:meta</c>
/// records which indexes are built (<c>ix:T NUL C1,C2</c>), so an index added to the description is back-filled at
/// start-up and one removed is dropped.</para>
/// <para>Every write (a single row, a batch, an UpdateAll/DelAll) is one LMDB write transaction: the row and its
/// index entries change together, and a failure (409, 400, cancellation) aborts it, so nothing is written.
/// Reads run in read transactions (MVCC snapshots, never blocked by the writer).</para>
/// <para>Threads: reads run synchronously on the caller's thread (memory-mapped B-tree lookups, microseconds, like the
/// in-process SQLite read path); writes first wait on an async lock (one writer per environment in this process, so
/// no thread-pool thread blocks on LMDB's writer mutex), then run their transaction synchronously; the commit's fsync
/// is the only blocking wait. Scans check the caller's token and the pool's time limit every 256 rows.</para></summary>
internal sealed partial class LmdbDriver : IDbDriver
{
    private const string MetaDb = "bk:meta";
    private readonly LmdbStore _store;
    private readonly ConcurrentDictionary<TableSchema, LmdbTable> _tables = new();
    private readonly ILogger _logger;
    private readonly int _timeoutMs;
    private int _disposed;

    public LmdbDriver(string name, LmdbStore store, int timeoutMs, ILogger<LmdbDriver> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutMs);
        Name = name;
        _store = store;
        _timeoutMs = timeoutMs;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public DbQuerySyntax QuerySyntax => DbQuerySyntax.None;

    /// <summary>The environment's directory.</summary>
    public string Path => _store.Path;

    private LmdbTable Table(TableSchema table) => _tables.GetOrAdd(table, t => new LmdbTable(t));

    /// <summary>The number of entries of a named database (tests look at index databases with it); null when this
    /// pool has not opened it.</summary>
    internal long? Entries(string dbName)
    {
        if (_store.Get(dbName) is not { } db) return null;
        using var tx = BeginRead();
        return tx.GetEntriesCount(db);
    }

    // ---- tables ----

    /// <inheritdoc />
    public async Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        await _store.WriteLock.WaitAsync(cancellationToken);
        var dropped = new List<string>();
        try
        {
            var opened = new Dictionary<string, LightningDatabase>(StringComparer.Ordinal);
            LightningDatabase Create(LightningTransaction tx, string name) => opened[name] = _store.Create(tx, name);
            using (var tx = _store.Environment.BeginTransaction())
            {
                var meta = Create(tx, MetaDb);
                foreach (var schema in tables)
                {
                    var t = Table(schema);
                    var rows = Create(tx, t.DbName);
                    var prefix = LmdbTable.MetaPrefix(schema.Name);
                    var built = new List<string>();
                    Visit(tx, meta, prefix, (k, _) =>
                    {
                        built.Add(System.Text.Encoding.UTF8.GetString(k[prefix.Length..]));
                        return true;
                    });
                    foreach (var stale in built.Where(b => t.Indexes.All(ix => ix.Key != b)))
                    {
                        var name = t.IndexDbName(stale);
                        tx.DropDatabase(_store.Create(tx, name));
                        dropped.Add(name);
                        tx.Delete(meta, LmdbKeys.Concat(prefix, System.Text.Encoding.UTF8.GetBytes(stale)));
                        LogIndexDropped(_logger, schema.Name, stale);
                    }
                    foreach (var ix in t.Indexes)
                    {
                        // Every described index's handle is opened (an index built by an earlier process too); only
                        // the missing ones are filled from the rows, after clearing whatever a partial state left.
                        var db = Create(tx, ix.DbName);
                        if (built.Contains(ix.Key)) continue;
                        Check(tx.TruncateDatabase(db), "index truncate");
                        var entries = new List<(byte[] Key, byte[] Pk)>();
                        Visit(tx, rows, [], (k, v) =>
                        {
                            var row = LmdbKeys.DecodeRow(schema, v);
                            entries.Add((LmdbKeys.Concat(LmdbKeys.Encode(ix.Columns, row), k), k.ToArray()));
                            return true;
                        });
                        var skipped = 0;
                        foreach (var (key, pk) in entries)
                        {
                            if (key.Length <= _store.Environment.MaxKeySize) Check(tx.Put(db, key, pk), "index backfill");
                            else skipped++;
                        }
                        // Rows whose values are too long for an LMDB key (a write of such a row is a 400 once the
                        // index exists): selects through this index will not find them.
                        if (skipped > 0) LogIndexRowsSkipped(_logger, schema.Name, ix.Key, skipped, _store.Environment.MaxKeySize);
                        Check(tx.Put(meta, LmdbKeys.Concat(prefix, System.Text.Encoding.UTF8.GetBytes(ix.Key)), new byte[] { 1 }), "index meta");
                        LogIndexBuilt(_logger, schema.Name, ix.Key, entries.Count);
                    }
                }
                Check(tx.Commit(), "commit");
            }
            foreach (var name in dropped)
            {
                opened.Remove(name);
                _store.Forget(name);
            }
            _store.Committed(opened);
        }
        catch (Exception ex) when (IsLmdb(ex))
        {
            throw Translate(ex, "init");
        }
        finally
        {
            _store.WriteLock.Release();
        }
    }

    // ---- dispatch ----

    /// <inheritdoc />
    public Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request.Operation)
        {
            case DbOperation.Add or DbOperation.Put or DbOperation.Update or DbOperation.Incr or DbOperation.Replace or DbOperation.Del:
                return Write(request, tx => ApplyWrite(tx, request), cancellationToken);
            case DbOperation.Batch:
                return Write(request, tx =>
                {
                    var affected = 0;
                    foreach (var item in request.Batch) affected += ApplyWrite(tx, item);
                    return affected;
                }, cancellationToken);
            case DbOperation.UpdateAll:
                if (request.Row.Count == 0) return Task.FromException<DbResult>(new DbException(DbErrorKind.BadInput, $"{request.Table.Name}: nothing to update"));
                return Write(request, tx => ChangeAll(tx, request, DbOperation.Update, cancellationToken), cancellationToken);
            case DbOperation.DelAll:
                return Write(request, tx => ChangeAll(tx, request, DbOperation.Del, cancellationToken), cancellationToken);
            case DbOperation.Search:
                return Task.FromException<DbResult>(new DbException(DbErrorKind.NotSupported, "search is not supported by the lmdb driver: use select with conditions (ops)"));
            case DbOperation.Query:
                return Task.FromException<DbResult>(new DbException(DbErrorKind.NotSupported, "query is not supported by the lmdb driver: it has no native query language"));
        }
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(request.Operation switch
            {
                DbOperation.Get => Get(request),
                DbOperation.List => List(request),
                DbOperation.Select => Select(request, cancellationToken),
                _ => throw new DbException(DbErrorKind.NotSupported, $"{request.Operation} is not supported by the lmdb driver"),
            });
        }
        catch (Exception ex) when (IsLmdb(ex))
        {
            return Task.FromException<DbResult>(Translate(ex, $"{request.Operation} {request.Table.Name}"));
        }
        catch (Exception ex)
        {
            return Task.FromException<DbResult>(ex);
        }
    }

    /// <summary>LMDB errors as database errors: a full map is a 507-like failure (500) with the fix in the message,
    /// a key or value LMDB refuses a 400, the rest 500.</summary>
    private DbException Translate(Exception ex, string what) => StatusOf(ex) switch
    {
        (int)MDBResultCode.MapFull => new DbException(DbErrorKind.Failed, $"{Name}: {what}: the LMDB map is full: raise ?mapsize= in -db-lmdb-pool", ex),
        (int)MDBResultCode.ReadersFull => new DbException(DbErrorKind.Unavailable, $"{Name}: {what}: every LMDB reader slot is in use", ex),
        (int)MDBResultCode.BadValSize => new DbException(DbErrorKind.BadInput, $"{Name}: {what}: key too long for LMDB ({_store.Environment.MaxKeySize} bytes)", ex),
        _ => new DbException(DbErrorKind.Failed, $"{Name}: {what} failed: {ex.Message}", ex),
    };

    private static void Check(MDBResultCode rc, string what)
    {
        if (rc != MDBResultCode.Success) throw new LmdbCodeException(what, rc);
    }

    /// <summary>The LMDB status code of a LightningDB exception or a failed call's result code.</summary>
    private static bool IsLmdb(Exception ex) => ex is LightningException or LmdbCodeException;

    private static int StatusOf(Exception ex) => ex switch
    {
        LightningException l => l.StatusCode,
        LmdbCodeException c => (int)c.Code,
        _ => 0,
    };

    // ---- reads ----

    private LightningDatabase Rows(LmdbTable t) =>
        _store.Get(t.DbName) ?? throw new DbException(DbErrorKind.Failed, $"{Name}: table {t.Table.Name} is not initialised in this pool (InitTablesAsync)");

    private LightningDatabase IndexDb(LmdbIndex ix) =>
        _store.Get(ix.DbName) ?? throw new DbException(DbErrorKind.Failed, $"{Name}: index {ix.DbName} is not initialised in this pool (InitTablesAsync)");

    private LightningTransaction BeginRead() => _store.Environment.BeginTransaction(TransactionBeginFlags.ReadOnly);

    private static DbRow? ReadRow(LightningTransaction tx, LightningDatabase db, LmdbTable t, ReadOnlySpan<byte> pk)
    {
        var (rc, _, value) = tx.Get(db, pk);
        if (rc == MDBResultCode.NotFound) return null;
        Check(rc, "get");
        return LmdbKeys.DecodeRow(t.Table, value.AsSpan());
    }

    private DbResult Get(DbRequest r)
    {
        var t = Table(r.Table);
        var db = Rows(t);
        var pk = t.Pk(r.Row);
        using var tx = BeginRead();
        var row = pk.Length > _store.Environment.MaxKeySize ? null : ReadRow(tx, db, t, pk);
        return new DbResult { Rows = row is null ? [] : [Project(r.Table, row, r.Options.Select, [])] };
    }

    /// <summary>The rows of the keys, in key order (like the SQL drivers' IN over the primary key); duplicates and
    /// missing rows left out.</summary>
    private DbResult List(DbRequest r)
    {
        var t = Table(r.Table);
        var db = Rows(t);
        var pks = r.Keys.Select(t.Pk).Where(k => k.Length <= _store.Environment.MaxKeySize)
            .DistinctBy(Convert.ToBase64String).OrderBy(k => k, ByteComparer.Instance).ToList();
        using var tx = BeginRead();
        var rows = new List<DbRow>(pks.Count);
        foreach (var pk in pks)
            if (ReadRow(tx, db, t, pk) is { } row) rows.Add(Project(r.Table, row, r.Options.Select, []));
        return new DbResult { Rows = rows };
    }

    private DbResult Select(DbRequest r, CancellationToken cancellationToken)
    {
        var order = r.Table.OrderColumns(r.Options);
        using var tx = BeginRead();
        var rows = Matching(tx, r, r.Options.Count is int n ? n + 1 : null, usePaging: true, cancellationToken);
        if (r.Options.Select is { Count: > 0 }) rows = [.. rows.Select(row => Project(r.Table, row, r.Options.Select, order))];
        return SelectPaging.Page(rows, order, r.Options.Count, r.Options.Select);
    }

    /// <summary>The rows matching the request's conditions, in its order, after its paging token (when
    /// <paramref name="usePaging"/>), at most <paramref name="need"/>.
    /// <para>Plan: equality conditions on the leading primary-key columns make a key prefix, read as one cursor range;
    /// otherwise an equality on the first column of an index reads that index's range; otherwise the whole table.
    /// When the rows come in the requested order (ascending primary-key order from a key range) reading stops after
    /// <paramref name="need"/> matches; otherwise all matching rows are read and sorted: O(matching rows) per page.</para></summary>
    private List<DbRow> Matching(LightningTransaction tx, DbRequest r, int? need, bool usePaging, CancellationToken cancellationToken)
    {
        var t = Table(r.Table);
        var o = r.Options;
        var order = r.Table.OrderColumns(o);
        var token = usePaging && !string.IsNullOrEmpty(o.Start) ? PagingToken.Decode(o.Start, order) : null;
        var conditions = r.Conditions.Select(LmdbFilter.Normalize).ToList();
        var db = Rows(t);
        var deadline = Environment.TickCount64 + _timeoutMs;
        var seen = 0;
        var rows = new List<DbRow>();
        void Tick()
        {
            if (++seen % 256 != 0) return;
            cancellationToken.ThrowIfCancellationRequested();
            if (Environment.TickCount64 >= deadline) throw DbTimeout.Exceeded(_logger, Name, r, _timeoutMs);
        }

        var (prefix, lower, upper) = t.KeyRange(conditions);
        var index = lower.Length == 0 ? t.IndexFor(conditions) : null;
        var inKeyOrder = index is null && !o.Desc && order.Count == t.KeyColumns.Length && order.Select(c => c.Name).SequenceEqual(t.KeyColumns.Select(c => c.Name));
        var done = false;
        bool Take(DbRow row)
        {
            if (!LmdbFilter.Matches(row, conditions)) return true;
            if (token is not null && !After(row, order, token, o.Desc)) return true;
            rows.Add(row);
            if (inKeyOrder && need is int k && rows.Count >= k) done = true;
            return !done;
        }

        if (index is { } ix)
        {
            var pks = new List<byte[]>();
            Visit(tx, IndexDb(ix.Index), ix.Prefix, (_, pk) =>
            {
                Tick();
                pks.Add(pk.ToArray());
                return true;
            });
            foreach (var pk in pks)
            {
                Tick();
                if (ReadRow(tx, db, t, pk) is { } row) Take(row);
            }
        }
        else
        {
            Visit(tx, db, prefix, (_, v) =>
            {
                Tick();
                return Take(LmdbKeys.DecodeRow(r.Table, v));
            }, lower, upper);
        }
        if (!inKeyOrder)
        {
            rows.Sort(LmdbFilter.Comparer(order, o.Desc));
            if (need is int limit && rows.Count > limit) rows.RemoveRange(limit, rows.Count - limit);
        }
        return rows;
    }

    private static bool After(DbRow row, IReadOnlyList<ColumnSchema> order, IReadOnlyList<object?> token, bool desc)
    {
        var c = LmdbFilter.Compare(row, order, token);
        return desc ? c < 0 : c > 0;
    }

    private delegate bool Visitor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Walks the entries whose key starts with <paramref name="prefix"/> (from <paramref name="lower"/>,
    /// up to keys at most <paramref name="upper"/> or starting with it, when given), in key order, while the visitor
    /// returns true.</summary>
    private static void Visit(LightningTransaction tx, LightningDatabase db, byte[] prefix, Visitor visit, byte[]? lower = null, byte[]? upper = null)
    {
        using var cursor = tx.CreateCursor(db);
        var start = lower ?? prefix;
        var rc = start.Length == 0 ? cursor.First().resultCode : cursor.SetRange(start);
        while (rc == MDBResultCode.Success)
        {
            var (_, key, value) = cursor.GetCurrent();
            var k = key.AsSpan();
            if (!k.StartsWith(prefix)) break;
            if (upper is not null && k.SequenceCompareTo(upper) > 0 && !k.StartsWith(upper)) break;
            if (!visit(k, value.AsSpan())) break;
            rc = cursor.Next().resultCode;
        }
        if (rc is not (MDBResultCode.Success or MDBResultCode.NotFound)) Check(rc, "cursor");
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

    /// <summary>Runs <paramref name="work"/> in one write transaction, committed when it returns and aborted when it
    /// throws; the affected count is the result.</summary>
    private async Task<DbResult> Write(DbRequest r, Func<LightningTransaction, int> work, CancellationToken cancellationToken)
    {
        if (!await _store.WriteLock.WaitAsync(_timeoutMs, cancellationToken)) throw DbTimeout.Exceeded(_logger, Name, r, _timeoutMs);
        try
        {
            using var tx = _store.Environment.BeginTransaction();
            var affected = work(tx);
            Check(tx.Commit(), "commit");
            return new DbResult { Affected = affected };
        }
        catch (Exception ex) when (IsLmdb(ex))
        {
            throw Translate(ex, $"{r.Operation} {r.Table.Name}");
        }
        finally
        {
            _store.WriteLock.Release();
        }
    }

    /// <summary>One single-row write in a write transaction: the row and its index entries; returns the affected count.</summary>
    private int ApplyWrite(LightningTransaction tx, DbRequest r)
    {
        var t = Table(r.Table);
        var db = Rows(t);
        var pk = t.Pk(r.Row);
        if (pk.Length > _store.Environment.MaxKeySize)
        {
            if (r.Operation is DbOperation.Update or DbOperation.Del) return 0;
            throw new DbException(DbErrorKind.BadInput, $"{r.Table.Name}: the primary key is longer than LMDB's {_store.Environment.MaxKeySize} bytes");
        }
        var (rc, _, stored) = tx.Get(db, pk);
        if (rc is not (MDBResultCode.Success or MDBResultCode.NotFound)) Check(rc, "get");
        var kept = rc == MDBResultCode.Success ? LmdbKeys.DecodeStored(stored.AsSpan()) : null;
        var old = kept is null ? null : LmdbKeys.DecodeRow(t.Table, stored.AsSpan());
        DbRow? next;
        switch (r.Operation)
        {
            case DbOperation.Add:
                if (old is not null) throw new DbException(DbErrorKind.Conflict, $"{r.Table.Name}: a record with this key already exists");
                next = Merge(r, null, counters: false);
                break;
            case DbOperation.Put:
                next = Merge(r, null, counters: false);
                break;
            case DbOperation.Update:
                if (old is null) return 0;
                next = Merge(r, old, counters: false);
                break;
            case DbOperation.Replace:
                // An upsert of only the key onto an existing row changes nothing and affects 0, like the SQL drivers'
                // ON CONFLICT DO NOTHING and the Redis script.
                if (old is not null && OnlyKey(r)) return 0;
                next = Merge(r, old, counters: false);
                break;
            case DbOperation.Incr:
                if (old is null && r.Options.NoUpsert) return 0;
                if (old is not null && !r.Options.NoUpsert && OnlyKey(r)) return 0;
                next = Merge(r, old, counters: true);
                break;
            case DbOperation.Del:
                if (old is null) return 0;
                next = null;
                break;
            default:
                throw new DbException(DbErrorKind.BadInput, $"cannot write with {r.Operation}");
        }
        foreach (var ix in t.Indexes)
        {
            var idb = IndexDb(ix);
            var oldKey = old is null ? null : LmdbKeys.Concat(LmdbKeys.Encode(ix.Columns, old), pk);
            var newKey = next is null ? null : LmdbKeys.Concat(LmdbKeys.Encode(ix.Columns, next), pk);
            if (oldKey is not null && newKey is not null && oldKey.AsSpan().SequenceEqual(newKey)) continue;
            if (oldKey is not null && oldKey.Length <= _store.Environment.MaxKeySize)
            {
                var drc = tx.Delete(idb, oldKey);
                if (drc is not (MDBResultCode.Success or MDBResultCode.NotFound)) Check(drc, "index delete");
            }
            if (newKey is null) continue;
            if (newKey.Length > _store.Environment.MaxKeySize)
                throw new DbException(DbErrorKind.BadInput, $"{r.Table.Name}: the values of index ({ix.Key}) are longer than LMDB's {_store.Environment.MaxKeySize}-byte keys");
            Check(tx.Put(idb, newKey, pk), "index put");
        }
        if (next is null) Check(tx.Delete(db, pk), "delete");
        // A Put replaces the row whole; the partial writes keep the stored columns this description does not know.
        else Check(tx.Put(db, pk, LmdbKeys.EncodeRow(r.Table, next, r.Operation == DbOperation.Put ? null : kept)), "put");
        return 1;
    }

    /// <summary>True when a write names no column but the primary key's.</summary>
    private static bool OnlyKey(DbRequest r)
    {
        foreach (var name in r.Row.Keys)
            if (r.Table.Column(name) is { Primary: 0 }) return false;
        return true;
    }

    /// <summary>The row after a write: the request's values over <paramref name="old"/> (null: a new row), NULLs
    /// removing columns; with <paramref name="counters"/> Counter columns are added to (a sum past ±2^63 is a 400).</summary>
    private static DbRow Merge(DbRequest r, DbRow? old, bool counters)
    {
        var next = old is null ? new DbRow() : new DbRow(old);
        foreach (var (name, value) in r.Row)
        {
            if (r.Table.Column(name) is not { } column) continue;
            if (counters && column is { Type: ColumnType.Counter, Primary: 0 })
            {
                if (value is null) continue;
                var add = DbValues.ToLong(value) ?? throw new DbException(DbErrorKind.BadInput, $"{r.Table.Name}: cannot add {value} to counter {name}");
                var current = next.GetValueOrDefault(name) is { } c ? DbValues.ToLong(c) ?? 0 : 0;
                try
                {
                    next[name] = checked(current + add);
                }
                catch (OverflowException)
                {
                    throw new DbException(DbErrorKind.BadInput, $"{r.Table.Name}: counter {name} would overflow");
                }
                continue;
            }
            if (value is null) next.Remove(name);
            else next[name] = value;
        }
        return next;
    }

    /// <summary>UpdateAll/DelAll in one write transaction: every matching row changed (atomic with its indexes).</summary>
    private int ChangeAll(LightningTransaction tx, DbRequest r, DbOperation op, CancellationToken cancellationToken)
    {
        var select = new DbRequest { Operation = DbOperation.Select, Table = r.Table, Conditions = r.Conditions, Options = new DbOptions() };
        var found = Matching(tx, select, null, usePaging: false, cancellationToken);
        var affected = 0;
        foreach (var row in found)
        {
            var w = new DbRow();
            foreach (var key in r.Table.PrimaryKeys) w[key] = row[key];
            if (op == DbOperation.Update)
                foreach (var (name, value) in r.Row)
                    if (r.Table.Column(name) is { Primary: 0 }) w[name] = value;
            affected += ApplyWrite(tx, new DbRequest { Operation = op, Table = r.Table, Row = w, Options = r.Options });
        }
        return affected;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _store.Release();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "lmdb: built index {Table}({Index}) from {Rows} rows")]
    private static partial void LogIndexBuilt(ILogger logger, string table, string index, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "lmdb: index {Table}({Index}) leaves out {Rows} rows whose index entry is longer than LMDB's {MaxKeySize}-byte keys")]
    private static partial void LogIndexRowsSkipped(ILogger logger, string table, string index, int rows, int maxKeySize);

    [LoggerMessage(Level = LogLevel.Information, Message = "lmdb: dropped index {Table}({Index}), no longer described")]
    private static partial void LogIndexDropped(ILogger logger, string table, string index);
}

/// <summary>Bytewise (memcmp) order, LMDB's default key order.</summary>
internal sealed class ByteComparer : IComparer<byte[]>
{
    public static ByteComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}

/// <summary>An LMDB call that answered a failure code.</summary>
internal sealed class LmdbCodeException(string what, MDBResultCode code) : Exception($"lmdb: {what}: {code}")
{
    public MDBResultCode Code { get; } = code;
}
