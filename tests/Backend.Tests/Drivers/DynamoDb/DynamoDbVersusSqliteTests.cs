using System.Text.Json.Nodes;
using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.DynamoDb;

/// <summary>The same rows in SQLite and DynamoDB: every query, with every ordering and page size, must return the
/// same pages (rows, order and tokens) on both.</summary>
public sealed class DynamoDbVersusSqliteFixture : IAsyncLifetime
{
    public DynamoDbTarget DynamoDbTarget { get; } = new();

    public SqliteTarget SqliteTarget { get; } = new();

    public TestDb? DynamoDb { get; private set; }

    public TestDb? SqliteDb { get; private set; }

    public static readonly string[] Ids =
    [
        "r00", "r01", "r02", "r03", "r04", "r05", "r06", "r07", "r08", "r09", "r10", "r11", "r12", "r13", "r14",
        "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22", "r23", "A", "Z9", "é", "😀x", "\uE000", "zz",
    ];

    public static readonly string?[] Names =
    [
        "apple", "apricot", "banana", "blueberry", "cherry", "Apple pie", "grape", "grapefruit", "50% off", "500", "snake_case", null, "ünïcode", "😀", "",
    ];

    public const long Base = 1795970688797;

    public async ValueTask InitializeAsync()
    {
        await DynamoDbTarget.InitializeAsync();
        await SqliteTarget.InitializeAsync();
        if (DynamoDbTarget.Url is null) return;
        var prefix = "d" + Guid.NewGuid().ToString("N")[..8] + "_";
        DynamoDb = await DynamoDbTarget.OpenWithPrefixAsync(DynamoDbTestBase.All, prefix);
        SqliteDb = await SqliteTarget.OpenWithPrefixAsync(DynamoDbTestBase.All, prefix);
        var ct = TestContext.Current.CancellationToken;
        foreach (var db in new[] { DynamoDb.Db, SqliteDb.Db })
        {
            for (var i = 0; i < Ids.Length; i++)
            {
                await db.PutAsync(prefix + "items", DynamoDbTestBase.Row(
                    ("id", Ids[i]),
                    ("name", Names[i % Names.Length]),
                    ("n", i % 9 == 4 ? null : (i * 7 % 11) - 3),
                    ("big", Base + (i * 1000)),
                    ("score", i % 4 == 0 ? null : i / 4.0),
                    ("flag", i % 3 == 0 ? null : i % 2 == 0),
                    ("doc", i % 5 == 0 ? new JsonObject { ["i"] = i } : null),
                    ("hits", i % 6)), ct);
            }
            foreach (var a in new[] { "x", "y", "z" })
            {
                for (var b = 0; b < 10; b++)
                {
                    await db.PutAsync(prefix + "pairs", DynamoDbTestBase.Row(
                        ("a", a), ("b", b), ("v", new[] { "p", "q", null }[b % 3]), ("w", b % 4 == 0 ? null : b * (a == "y" ? -1 : 1)), ("s", b / 3.0)), ct);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (DynamoDb is not null) await DynamoDb.DisposeAsync();
        if (SqliteDb is not null) await SqliteDb.DisposeAsync();
        await DynamoDbTarget.DisposeAsync();
        await SqliteTarget.DisposeAsync();
    }
}

public sealed class DynamoDbVersusSqliteTests(DynamoDbVersusSqliteFixture fixture) : IClassFixture<DynamoDbVersusSqliteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Query cases: table, conditions as (column, operator, value) triples.</summary>
    public static TheoryData<string, string> Queries => new()
    {
        { "items", "" },
        { "items", "id = r05" },
        { "items", "id = nope" },
        { "items", "id > r10" },
        { "items", "id <= A" },
        { "items", "id between r03,r07" },
        { "items", "id begins_with r1" },
        { "items", "id in r01,zz,é,nope" },
        { "items", "name = banana" },
        { "items", "name = Banana" },
        { "items", "name = " },
        { "items", "name != " },
        { "items", "name != apple" },
        { "items", "name > b" },
        { "items", "name < b" },
        { "items", "name between b,c" },
        { "items", "name in apple,cherry,nope,😀" },
        { "items", "name begins_with ap" },
        { "items", "name begins_with Ap" },
        { "items", "name begins_with 50%" },
        { "items", "name contains rape" },
        { "items", "name contains pp" },
        { "items", "name contains _" },
        { "items", "n = 4" },
        { "items", "n != 5" },
        { "items", "n > 3" },
        { "items", "n >= -1" },
        { "items", "n < 0" },
        { "items", "n <= 2" },
        { "items", "n in 2,4,99" },
        { "items", "n between -2,3" },
        { "items", "n in " + string.Join(",", Enumerable.Range(-100, 150)) },
        { "items", "id in " + string.Join(",", DynamoDbVersusSqliteFixture.Ids.Take(20)) + "," + string.Join(",", Enumerable.Range(0, 100).Select(i => $"x{i}")) },
        { "items", "n between 3,-2" },
        { "items", "n = " },
        { "items", "n begins_with 1" },
        { "items", "big >= 1795970698797" },
        { "items", "big between 1795970688797,1795970693797" },
        { "items", "score > 2.5" },
        { "items", "score <= 1" },
        { "items", "score = " },
        { "items", "flag = true" },
        { "items", "flag = 0" },
        { "items", "flag != true" },
        { "items", "flag > 0" },
        { "items", "flag in 1" },
        { "items", "doc contains \"i\"" },
        { "items", "doc != " },
        { "items", "hits = 3" },
        { "items", "hits in 1,2" },
        { "items", "name begins_with gr;n > 0" },
        { "items", "name = banana;flag = true" },
        { "items", "id = r05;n > 100" },
        { "items", "name in apple,banana,cherry;score >= 1;flag != false" },
        { "pairs", "" },
        { "pairs", "a = x" },
        { "pairs", "a = y" },
        { "pairs", "a = nope" },
        { "pairs", "a = x;b = 3" },
        { "pairs", "a = x;b > 3" },
        { "pairs", "a = x;b >= 3" },
        { "pairs", "a = x;b < 3" },
        { "pairs", "a = x;b <= 3" },
        { "pairs", "a = x;b != 3" },
        { "pairs", "a = x;b in 1,5,7" },
        { "pairs", "a = x;b between 2,6" },
        { "pairs", "a = x;b between 6,2" },
        { "pairs", "a = x;b begins_with 1" },
        { "pairs", "a = x;v = p" },
        { "pairs", "a = y;b > 2;w < -3" },
        { "pairs", "a in x,z;b = 1" },
        { "pairs", "a > x" },
        { "pairs", "b = 5" },
        { "pairs", "v = p" },
        { "pairs", "v = p;w > 2" },
        { "pairs", "v = p;w != 3" },
        { "pairs", "v = p;w = " },
        { "pairs", "v = q;w between -8,5" },
        { "pairs", "v = q;w in -7,7,1" },
        { "pairs", "v = q;s > 1" },
        { "pairs", "v = " },
        { "pairs", "w > 0;s < 2" },
    };

    private static (DbRow Query, DbOptions Options) Parse(string spec)
    {
        var query = new DbRow();
        var options = new DbOptions();
        foreach (var part in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var bits = part.Split(' ', 3);
            Assert.True(DbCompareNames.TryParse(bits[1], out var op));
            query[bits[0]] = bits.Length > 2 ? bits[2] : "";
            options.Op(bits[0], op);
        }
        return (query, options);
    }

    /// <summary>Orderings and page sizes applied to every query.</summary>
    private static IEnumerable<(string? Sort, bool Desc, int? Count, string[]? Select)> Orderings(string table)
    {
        yield return (null, false, null, null);
        yield return (null, true, null, null);
        yield return (null, false, 1, null);
        yield return (null, true, 3, null);
        yield return (null, false, 7, null);
        if (table == "items")
        {
            yield return ("name", false, 3, null);
            yield return ("name", true, 7, null);
            yield return ("score", false, 4, ["n"]);
            yield return ("flag", true, 5, null);
            yield return ("n", false, null, null);
            yield return ("doc", false, 2, ["id"]);
        }
        else
        {
            yield return (null, true, 2, ["v"]);
            yield return ("b", false, 3, null);
            yield return ("b", true, 4, null);
            yield return ("a", true, 3, null);
            yield return ("v", false, 3, ["s"]);
            yield return ("w", true, 2, null);
            yield return ("s", false, 7, null);
        }
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Pages_are_the_same_as_on_sqlite(string table, string spec)
    {
        fixture.DynamoDbTarget.RequireServer();
        var name = fixture.DynamoDb!.T(table);
        foreach (var (sort, desc, count, select) in Orderings(table))
        {
            DbOptions Options()
            {
                var o = Parse(spec).Options;
                o.Sort = sort;
                o.Desc = desc;
                o.Count = count;
                o.Select = select;
                return o;
            }
            var query = Parse(spec).Query;
            var expected = await DynamoDbTestBase.AllPages(fixture.SqliteDb!.Db, name, query, Options);
            var actual = await DynamoDbTestBase.AllPages(fixture.DynamoDb.Db, name, query, Options);
            var what = $"{table} [{spec}] sort={sort} desc={desc} count={count}";
            Assert.True(expected.Count == actual.Count, $"{what}: {expected.Count} pages on sqlite, {actual.Count} on dynamodb");
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Rows.Select(DynamoDbTestBase.Canon), actual[i].Rows.Select(DynamoDbTestBase.Canon));
                Assert.True(expected[i].NextToken == actual[i].NextToken, $"{what}: page {i} token differs");
            }
            if (count is null) Assert.True(expected.Count == 1);
        }
    }

    [Fact]
    public async Task Like_is_a_400_on_dynamodb()
    {
        fixture.DynamoDbTarget.RequireServer();
        var ex = await Assert.ThrowsAsync<DbException>(() =>
            fixture.DynamoDb!.Db.SelectAsync(fixture.DynamoDb.T("items"), DynamoDbTestBase.Row(("name", "b%")), new DbOptions().Op("name", DbCompare.Like), Ct));
        Assert.Equal(400, ex.Status);
        Assert.Contains("not supported on dynamodb", ex.Message, StringComparison.Ordinal);
    }
}
