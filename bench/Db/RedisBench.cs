using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Backend.Data;
using Backend.Redis;
using StackExchange.Redis;

namespace Backend.Benchmarks;

/// <summary>Redis: the facade over <see cref="RedisDriver"/> vs StackExchange.Redis with its own multiplexer (same
/// options: <see cref="RedisDriverFactory.Parse"/>), working on the driver's key layout (src/Backend.Redis/README.md):
/// row hash <c>bk:{T}:r:PK</c>, PK ZSET <c>bk:{T}:pk</c>; the table has no secondary index, so those are all the
/// structures a write maintains. PK = order encoding of grp (<c>02 utf8 00</c>) then of id (<c>02, 0x60+digits, digits</c>).
/// <list type="bullet">
/// <item>Get: HGETALL of the row hash.</item>
/// <item>Put: one Lua script (EVALSHA): DEL the hash, HSET every column, ZADD the PK.</item>
/// <item>Select: ZRANGEBYLEX over the group's PK prefix, LIMIT 20, then the 20 HGETALLs pipelined in one batch (two
/// round trips), as the driver now reads a select by key range. <see cref="RawSelectScript"/> is the one-round-trip
/// alternative: a Lua script doing the range and the HGETALLs, as the driver does for index ranges and filtered selects
/// (and did for every select before 1a49e26).</item>
/// </list></summary>
public class RedisBench : DbBenchBase
{
    private const string PutScript = """
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], unpack(ARGV, 2))
        redis.call('ZADD', KEYS[2], 0, ARGV[1])
        return 1
        """;

    private const string SelectScript = """
        local r = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
        local out = {}
        for i, m in ipairs(r) do out[i] = redis.call('HGETALL', ARGV[1] .. m) end
        return out
        """;

    private static readonly byte[] RowPrefix = Encoding.UTF8.GetBytes("bk:{" + BenchTable.Name + "}:r:");
    private static readonly RedisKey PkKey = "bk:{" + BenchTable.Name + "}:pk";
    private static readonly RedisValue[] ColumnNames = [.. BenchTable.Columns.Select(c => (RedisValue)c)];
    private ConnectionMultiplexer _mux = null!;
    private IDatabase _db = null!;

    /// <inheritdoc />
    protected override Task<Db> OpenFacadeAsync() => BenchTable.OpenAsync(new RedisDriverFactory(), BenchTable.ServerUrl("redis"), Path.Combine(Path.GetTempPath(), "bkcs-bench-db"));

    /// <inheritdoc />
    protected override async Task OpenRawAsync()
    {
        _mux = await ConnectionMultiplexer.ConnectAsync(RedisDriverFactory.Parse(BenchTable.ServerUrl("redis"), 3000));
        _db = _mux.GetDatabase();
    }

    /// <inheritdoc />
    protected override async ValueTask CloseRawAsync() => await _mux.DisposeAsync();

    /// <summary>The order encoding of a group name (a text: 02, UTF-8, 00; group names have no NUL).</summary>
    private static byte[] GroupPrefix(string grp)
    {
        var bytes = new byte[grp.Length + 2];
        bytes[0] = 0x02;
        Encoding.UTF8.GetBytes(grp, bytes.AsSpan(1));
        return bytes;
    }

    /// <summary>The PK of (grp, id): enc(grp) then enc(id) (02, 0x60 + digit count, digits; ids are not negative).</summary>
    private static byte[] Pk(string grp, long id)
    {
        Span<byte> digits = stackalloc byte[20];
        id.TryFormat(digits, out var n, default, CultureInfo.InvariantCulture);
        var pk = new byte[grp.Length + 2 + 2 + n];
        pk[0] = 0x02;
        Encoding.UTF8.GetBytes(grp, pk.AsSpan(1));
        var at = grp.Length + 2;
        pk[at] = 0x02;
        pk[at + 1] = (byte)(0x60 + n);
        digits[..n].CopyTo(pk.AsSpan(at + 2));
        return pk;
    }

    private static RedisKey RowKey(ReadOnlySpan<byte> pk)
    {
        var key = new byte[RowPrefix.Length + pk.Length];
        RowPrefix.CopyTo(key, 0);
        pk.CopyTo(key.AsSpan(RowPrefix.Length));
        return key;
    }

    /// <summary>A row from the stored texts (text as is, integers invariant, reals round-trip, bools 1/0); hidden
    /// fields and unknown columns are skipped.</summary>
    private static Dictionary<string, object?>? ToRow(HashEntry[] entries)
    {
        if (entries.Length == 0) return null;
        var row = new Dictionary<string, object?>(BenchTable.Columns.Length, StringComparer.Ordinal);
        foreach (var e in entries) Set(row, e.Name, e.Value);
        return row;
    }

    private static void Set(Dictionary<string, object?> row, RedisValue name, RedisValue value)
    {
        switch ((string?)name)
        {
            case "grp": row["grp"] = (string?)value; break;
            case "id": row["id"] = (long)value; break;
            case "name": row["name"] = (string?)value; break;
            case "score": row["score"] = double.Parse((string)value!, NumberStyles.Float, CultureInfo.InvariantCulture); break;
            case "qty": row["qty"] = (long)value; break;
            case "active": row["active"] = (long)value != 0; break;
            case "note": row["note"] = (string?)value; break;
            case "mtime": row["mtime"] = (long)value; break;
            default: break;
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<Dictionary<string, object?>?> RawGetAsync(string grp, long id) =>
        ToRow(await _db.HashGetAllAsync(RowKey(Pk(grp, id))));

    /// <inheritdoc />
    protected override async ValueTask<int> RawPutAsync(long id, (string Name, double Score, long Qty, bool Active, string Note, long Mtime) v)
    {
        var grp = BenchTable.GroupNames[id / BenchTable.GroupSize];
        var pk = Pk(grp, id);
        RedisValue[] args =
        [
            pk,
            ColumnNames[0], grp,
            ColumnNames[1], id,
            ColumnNames[2], v.Name,
            ColumnNames[3], v.Score.ToString("R", CultureInfo.InvariantCulture),
            ColumnNames[4], v.Qty,
            ColumnNames[5], v.Active ? "1" : "0",
            ColumnNames[6], v.Note,
            ColumnNames[7], v.Mtime,
        ];
        return (int)(long)await _db.ScriptEvaluateAsync(PutScript, [RowKey(pk), PkKey], args);
    }

    /// <inheritdoc />
    protected override async ValueTask<List<Dictionary<string, object?>>> RawSelectAsync(string grp, int count)
    {
        var prefix = GroupPrefix(grp);
        var members = await _db.SortedSetRangeByValueAsync(PkKey, prefix, (byte[])[.. prefix, 0xFF], Exclude.Stop, Order.Ascending, 0, count);
        var batch = _db.CreateBatch();
        var reads = new Task<HashEntry[]>[members.Length];
        for (var i = 0; i < members.Length; i++) reads[i] = batch.HashGetAllAsync(RowKey((byte[])members[i]!));
        batch.Execute();
        var rows = new List<Dictionary<string, object?>>(members.Length);
        foreach (var read in reads)
            if (ToRow(await read) is { } row) rows.Add(row);
        return rows;
    }

    /// <inheritdoc />
    protected override async Task VerifyAsync()
    {
        await base.VerifyAsync();
        var rows = await RawSelectScript();
        if (rows.Count != BenchTable.GroupSize || rows.Any(r => r.Count != BenchTable.Columns.Length))
            throw new InvalidOperationException($"RedisBench: the select script read {rows.Count} rows, expected {BenchTable.GroupSize} whole rows");
    }

    /// <summary>The same 20 rows in one round trip: a Lua script (EVALSHA) doing ZRANGEBYLEX and the HGETALLs, like
    /// the driver's read script. Not the baseline; its Ratio is to <see cref="DbBenchBase.RawSelect"/>.</summary>
    [Benchmark, BenchmarkCategory("Select20")]
    public async Task<List<Dictionary<string, object?>>> RawSelectScript()
    {
        var prefix = GroupPrefix(NextGroup());
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(SelectScript, [PkKey],
            [RowPrefix, (byte[])[(byte)'[', .. prefix], (byte[])[(byte)'(', .. prefix, 0xFF], BenchTable.GroupSize]))!;
        var rows = new List<Dictionary<string, object?>>(result.Length);
        foreach (var item in result)
        {
            var fields = (RedisResult[])item!;
            if (fields.Length == 0) continue;
            var row = new Dictionary<string, object?>(BenchTable.Columns.Length, StringComparer.Ordinal);
            for (var j = 0; j + 1 < fields.Length; j += 2) Set(row, (RedisValue)fields[j], (RedisValue)fields[j + 1]);
            rows.Add(row);
        }
        return rows;
    }
}
