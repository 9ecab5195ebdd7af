using System.Text.Json.Nodes;
using Backend.Data;
using Backend.Tests.Conformance;
using static Backend.Tests.Drivers.Redis.RedisTestHelpers;

namespace Backend.Tests.Drivers.Redis;

/// <summary>The same rows in Redis and in SQLite (the model driver), queried the same way: every page, every row
/// and every paging token must be identical, for each condition, sort column, direction and page size.</summary>
public sealed class RedisVersusSqliteFixture : IAsyncLifetime
{
    public RedisTargets Targets { get; } = new();

    public TestDb? RedisDb { get; private set; }

    public TestDb? SqliteDb { get; private set; }

    public static void Describe(TableRegistry tables, string prefix) => tables
        .Add(prefix + "d", t => t
            .Column("a", primary: true)
            .Column("b", ColumnType.Int, primary: true)
            .Column("name", index: 1)
            .Column("n", ColumnType.BigInt, index: 2)
            .Column("flag", ColumnType.Bool, index: 2)
            .Column("score", ColumnType.Real, index: 3)
            .Column("doc", ColumnType.Json)
            .Column("c", ColumnType.Counter))
        .Add(prefix + "p", t => t
            .Column("id", ColumnType.Int, primary: true)
            .Column("name")
            .Column("score", ColumnType.Real)
            .Column("maybe", ColumnType.Int));

    public static readonly string[] As = ["x", "y", "xy", "é", "😀", "X"];
    public static readonly string?[] Names = [null, "", "apple", "Apple", "b", "ba", "é", "😀", "\uFFFD", "z", "50% off", "snake_case", "apricot"];
    public static readonly object?[] Ns = [null, -5L, 0L, 3L, long.MaxValue, long.MinValue, 1795970688797L, -1795970688797L, 3L];
    public static readonly object?[] Scores = [null, 0.1, -1e300, 1e300, 0.0, -0.5, 2.5, double.Epsilon];
    public static readonly object?[] Flags = [null, true, false, true];
    public static readonly string?[] Docs = [null, "{\"a\":1,\"b\":[1,2]}", "[1,2]", "\"str\"", "{\"k\":\"é😀\"}"];

    public async ValueTask InitializeAsync()
    {
        await Targets.InitializeAsync();
        if (Targets.Redis.Url is null) return;
        RedisDb = await Targets.Redis.OpenAsync(Describe);
        SqliteDb = await Targets.Sqlite.OpenAsync(Describe);
        var ct = TestContext.Current.CancellationToken;
        var i = 0;
        foreach (var a in As)
        {
            for (var b = 0; b < 11; b++, i++)
            {
                var row = Row(("a", a), ("b", b - 3), ("name", Names[i % Names.Length]), ("n", Ns[i % Ns.Length]), ("flag", Flags[i % Flags.Length]),
                    ("score", Scores[i % Scores.Length]), ("doc", Docs[i % Docs.Length]), ("c", i % 5 == 0 ? null : i));
                foreach (var t in new[] { RedisDb, SqliteDb }) await t.Db.PutAsync(t.T("d"), row, ct);
            }
        }
        for (var id = 0; id < 20; id++)
        {
            var row = Row(("id", id), ("name", $"n{(19 - id) % 10}"), ("score", id % 3 / 3.0), ("maybe", id % 4 == 0 ? null : id % 3));
            foreach (var t in new[] { RedisDb, SqliteDb }) await t.Db.PutAsync(t.T("p"), row, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (RedisDb is not null) await RedisDb.DisposeAsync();
        if (SqliteDb is not null) await SqliteDb.DisposeAsync();
        await Targets.DisposeAsync();
    }
}

public sealed class RedisVersusSqliteTests(RedisVersusSqliteFixture fixture) : IClassFixture<RedisVersusSqliteFixture>
{
    public static TheoryData<string, string> Queries => new()
    {
        { "none", "{}" },
        { "name =", "{\"name\":\"apple\"}" },
        { "name = null", "{\"name\":null}" },
        { "name != null", "{\"name\":null}|name:ne" },
        { "name !=", "{\"name\":\"b\"}|name:ne" },
        { "name >", "{\"name\":\"b\"}|name:gt" },
        { "name >=", "{\"name\":\"b\"}|name:ge" },
        { "name <", "{\"name\":\"b\"}|name:lt" },
        { "name <=", "{\"name\":\"b\"}|name:le" },
        { "name > null", "{\"name\":null}|name:gt" },
        { "name begins_with", "{\"name\":\"a\"}|name:begins_with" },
        { "name begins_with empty", "{\"name\":\"\"}|name:begins_with" },
        { "name begins_with unicode", "{\"name\":\"😀\"}|name:begins_with" },
        { "name between", "{\"name\":[\"a\",\"c\"]}|name:between" },
        { "name in", "{\"name\":[\"apple\",\"z\",\"nope\"]}|name:in" },
        { "name contains", "{\"name\":\"p\"}|name:contains" },
        { "name like", "{\"name\":\"a%\"}|name:like" },
        { "name like underscore", "{\"name\":\"_pple\"}|name:like" },
        { "name like percent", "{\"name\":\"%\\u00e9%\"}|name:like" },
        { "n =", "{\"n\":3}" },
        { "n = and flag =", "{\"n\":3,\"flag\":true}" },
        { "flag = only", "{\"flag\":false}" },
        { "n >=", "{\"n\":0}|n:ge" },
        { "n <", "{\"n\":0}|n:lt" },
        { "n between", "{\"n\":[-1795970688797,3]}|n:between" },
        { "n in", "{\"n\":[3,0,9]}|n:in" },
        { "n != ", "{\"n\":3}|n:ne" },
        { "score >", "{\"score\":0}|score:gt" },
        { "score <=", "{\"score\":0.1}|score:le" },
        { "score = 0", "{\"score\":0}" },
        { "a = (pk prefix)", "{\"a\":\"x\"}" },
        { "a = and b >", "{\"a\":\"x\",\"b\":3}|b:gt" },
        { "a = and b between", "{\"a\":\"😀\",\"b\":[0,4]}|b:between" },
        { "a = and b =", "{\"a\":\"y\",\"b\":2}" },
        { "a begins_with", "{\"a\":\"x\"}|a:begins_with" },
        { "a >", "{\"a\":\"x\"}|a:gt" },
        { "a in", "{\"a\":[\"y\",\"é\"]}|a:in" },
        { "b only", "{\"b\":4}" },
        { "a = and b in", "{\"a\":\"x\",\"b\":[7,-3,7,100,0]}|b:in" },
        { "a in duplicates", "{\"a\":[\"xy\",\"x\",\"xy\",\"nope\"]}|a:in" },
        { "name in with null", "{\"name\":[null,\"b\",\"\",\"😀\"]}|name:in" },
        { "n in and flag =", "{\"n\":[3,9223372036854775807,-5],\"flag\":true}|n:in" },
        { "score in", "{\"score\":[0.1,-0.5,0]}|score:in" },
        { "b <", "{\"b\":0}|b:lt" },
        { "a = and name =", "{\"a\":\"x\",\"name\":\"apple\"}" },
        { "name = and a >", "{\"name\":\"z\",\"a\":\"x\"}|a:gt" },
        { "doc contains", "{\"doc\":\"1\"}|doc:contains" },
        { "doc =", "{\"doc\":[1,2]}" },
        { "c >", "{\"c\":20}|c:gt" },
        { "c = null", "{\"c\":null}" },
    };

    private static (JsonObject Query, DbOptions Options) Parse(string spec)
    {
        var parts = spec.Split('|');
        var options = new DbOptions();
        foreach (var op in parts.Skip(1))
        {
            var kv = op.Split(':');
            Assert.True(DbCompareNames.TryParse(kv[1], out var compare));
            options.Op(kv[0], compare);
        }
        return ((JsonObject)JsonNode.Parse(parts[0])!, options);
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Every_page_and_token_is_the_same_as_sqlite(string name, string spec)
    {
        Assert.NotNull(name);
        fixture.Targets.Redis.RequireServer();
        var (query, ops) = Parse(spec);
        foreach (var sort in new string?[] { null, "name", "n", "score", "b", "a", "flag", "doc", "c" })
        {
            foreach (var desc in new[] { false, true })
            {
                foreach (var count in new int?[] { null, 1, 3, 7, 0 })
                {
                    DbOptions Options()
                    {
                        var o = new DbOptions { Sort = sort, Desc = desc, Count = count };
                        foreach (var (k, v) in ops.Ops) o.Ops[k] = v;
                        return o;
                    }
                    var r = await AllPages(fixture.RedisDb!.Db, fixture.RedisDb.T("d"), query, Options);
                    var s = await AllPages(fixture.SqliteDb!.Db, fixture.SqliteDb.T("d"), query, Options);
                    var what = $"{name} sort={sort} desc={desc} count={count}";
                    Assert.True(s.Count == r.Count, $"{what}: {s.Count} pages in sqlite, {r.Count} in redis");
                    for (var i = 0; i < s.Count; i++)
                    {
                        Assert.Equal(Canon(s[i].Rows), Canon(r[i].Rows));
                        Assert.True(s[i].NextToken == r[i].NextToken, $"{what}: page {i} token differs");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("score")]
    [InlineData("name")]
    [InlineData("maybe")]
    public async Task Paging_with_select_matches_sqlite(string? sort)
    {
        fixture.Targets.Redis.RequireServer();
        foreach (var desc in new[] { false, true })
        {
            foreach (var count in new[] { 1, 2, 3, 7, 20, 25 })
            {
                DbOptions Options() => new() { Sort = sort, Desc = desc, Count = count, Select = ["name", "bogus"] };
                var r = await AllPages(fixture.RedisDb!.Db, fixture.RedisDb.T("p"), null, Options);
                var s = await AllPages(fixture.SqliteDb!.Db, fixture.SqliteDb.T("p"), null, Options);
                Assert.Equal(s.Select(p => p.NextToken), r.Select(p => p.NextToken));
                Assert.Equal(s.SelectMany(p => Canon(p.Rows)), r.SelectMany(p => Canon(p.Rows)));
            }
        }
    }

    [Fact]
    public async Task Get_and_list_match_sqlite()
    {
        fixture.Targets.Redis.RequireServer();
        var keys = RedisVersusSqliteFixture.As.SelectMany(a => new object[] { Row(("a", a), ("b", 0)), Row(("a", a), ("b", 99)), Row(("a", a), ("b", "7")) }).ToList();
        foreach (var key in keys)
            Assert.Equal(Canon(await fixture.SqliteDb!.Db.GetAsync(fixture.SqliteDb.T("d"), key, Ct)), Canon(await fixture.RedisDb!.Db.GetAsync(fixture.RedisDb.T("d"), key, Ct)));
        var options = new DbOptions { Select = ["name", "b"] };
        var r = await fixture.RedisDb!.Db.ListAsync(fixture.RedisDb.T("d"), keys, options, Ct);
        var s = await fixture.SqliteDb!.Db.ListAsync(fixture.SqliteDb.T("d"), keys, options, Ct);
        Assert.Equal(Canon(s.Rows).Order(StringComparer.Ordinal), Canon(r.Rows).Order(StringComparer.Ordinal));
    }
}
