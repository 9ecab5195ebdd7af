using System.Text.Json;
using System.Text.Json.Nodes;
using Backend.Data;
using Backend.Redis;
using Backend.Tests.Conformance;
using StackExchange.Redis;

namespace Backend.Tests.Drivers.Redis;

/// <summary>The Redis target plus an SQLite target for side-by-side comparisons, and a plain connection to look at keys.</summary>
public sealed class RedisTargets : IAsyncLifetime
{
    private ConnectionMultiplexer? _raw;

    public RedisTarget Redis { get; } = new();

    public SqliteTarget Sqlite { get; } = new();

    public async ValueTask InitializeAsync()
    {
        await Redis.InitializeAsync();
        await Sqlite.InitializeAsync();
    }

    /// <summary>A direct connection to the test server (skips the test when there is none).</summary>
    public IDatabase Raw()
    {
        Redis.RequireServer();
        _raw ??= ConnectionMultiplexer.Connect(RedisDriverFactory.Parse(Redis.Url!, 5000));
        return _raw.GetDatabase();
    }

    public async ValueTask DisposeAsync()
    {
        if (_raw is not null) await _raw.DisposeAsync();
        await Redis.DisposeAsync();
        await Sqlite.DisposeAsync();
    }
}

internal static class RedisTestHelpers
{
    private static readonly JsonSerializerOptions CanonOptions = new(JsonSerializerOptions.Default) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static DbRow Row(params (string Name, object? Value)[] values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values) row[name] = value;
        return row;
    }

    /// <summary>A row as canonical JSON (keys sorted), so rows with JSON nodes compare by value.</summary>
    public static string Canon(DbRow? row)
    {
        if (row is null) return "null";
        var o = new JsonObject();
        foreach (var (k, v) in row.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o[k] = v switch { null => null, JsonNode n => n.DeepClone(), _ => JsonValue.Create(v) };
        return o.ToJsonString(CanonOptions);
    }

    public static List<string> Canon(IEnumerable<DbRow> rows) => [.. rows.Select(Canon)];

    /// <summary>Follows tokens to the end; returns every page.</summary>
    public static async Task<List<DbResult>> AllPages(Db db, string table, object? query, Func<DbOptions> options)
    {
        var pages = new List<DbResult>();
        string? token = null;
        do
        {
            var o = options();
            o.Start = token;
            var result = await db.SelectAsync(table, query, o, Ct);
            pages.Add(result);
            token = result.NextToken;
            Assert.True(pages.Count <= 500, "paging does not end");
        }
        while (token != "");
        return pages;
    }

    /// <summary>Checks every index of a table against its rows: each row has exactly its one entry, and nothing else is there.</summary>
    public static async Task AssertIndexesConsistent(IDatabase raw, TableSchema table)
    {
        var keys = new TableKeys(table);
        var pks = (await raw.SortedSetRangeByRankAsync(keys.Pk)).Select(v => (byte[])v!).ToList();
        var rows = new List<(byte[] Pk, Dictionary<string, string> Fields)>();
        foreach (var pk in pks)
        {
            var entries = await raw.HashGetAllAsync(keys.Row(pk));
            Assert.True(entries.Length > 0, $"{table.Name}: PK entry without a row");
            var fields = entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
            var back = new DbRow();
            foreach (var k in table.PrimaryKeys) back[k] = DbValues.FromStore(table.Column(k), fields[k]);
            Assert.Equal(pk, keys.PkOf(back));
            rows.Add((pk, fields));
        }
        foreach (var ix in keys.Indexes)
        {
            var expected = rows.Select(r =>
            {
                var part = new System.Buffers.ArrayBufferWriter<byte>();
                foreach (var c in ix.Columns)
                    RedisLayout.Append(part, c, r.Fields.TryGetValue(c.Name, out var s) ? DbValues.FromStore(c, s) : null);
                return Convert.ToHexString(RedisLayout.IndexMember(part.WrittenSpan, r.Pk));
            }).Order(StringComparer.Ordinal).ToList();
            var actual = (await raw.SortedSetRangeByRankAsync(ix.Key)).Select(v => Convert.ToHexString((byte[])v!)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>Every key of a table (to check nothing is left behind).</summary>
    public static async Task<List<string>> KeysOf(IDatabase raw, string table)
    {
        var server = raw.Multiplexer.GetServers()[0];
        var list = new List<string>();
        await foreach (var k in server.KeysAsync(raw.Database, "bk:{" + table + "}:*")) list.Add(k.ToString());
        return list;
    }
}
