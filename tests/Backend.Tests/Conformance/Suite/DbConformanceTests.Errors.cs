using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Bad input is a 400 before anything is written, on every driver; unknown columns are ignored.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    /// <summary>Column and a value that does not fit its type.</summary>
    protected static IReadOnlyList<(string Column, object Value)> WrongTypes =>
    [
        ("n", "abc"), ("n", "1.5"), ("n", 2.5), ("n", "9223372036854775808"), ("big", "12x"), ("score", "abc"),
        ("score", double.NaN), ("score", double.PositiveInfinity), ("score", "Infinity"), ("flag", "maybe"), ("flag", "2x"), ("hits", "many"), ("hits", 0.5),
    ];

    private static async Task<DbResult> Write(Db db, DbOperation op, string table, DbRow row, DbOptions? options = null) => op switch
    {
        DbOperation.Add => await db.Add(table, row, options, Ct),
        DbOperation.Put => await db.Put(table, row, options, Ct),
        DbOperation.Update => await db.Update(table, row, options, Ct),
        DbOperation.Incr => await db.Incr(table, row, options, Ct),
        DbOperation.Replace => await db.Replace(table, row, options, Ct),
        DbOperation.Del => await db.Del(table, row, options, Ct),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Fact]
    public async Task A_wrong_type_is_a_400_and_nothing_is_written()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var mismatches = new List<string>();
        foreach (var (column, value) in WrongTypes)
        {
            foreach (var op in new[] { DbOperation.Add, DbOperation.Put, DbOperation.Incr, DbOperation.Replace })
            {
                try
                {
                    await Write(t.Db, op, table, Row(("id", "w"), ("name", "W"), (column, value)));
                    mismatches.Add($"{op} {column}={Show(value)} was accepted");
                }
                catch (DbException ex) when (ex.Status == 400)
                {
                }
                if (await t.Db.Get(table, Row(("id", "w")), null, Ct) is not null)
                {
                    mismatches.Add($"{op} {column}={Show(value)} wrote a row");
                    await t.Db.Del(table, Row(("id", "w")), null, Ct);
                }
            }
        }
        await t.Db.Put(table, Row(("id", "w"), ("name", "W")), null, Ct);
        foreach (var (column, value) in WrongTypes)
        {
            foreach (var op in new[] { DbOperation.Update, DbOperation.Incr, DbOperation.Replace })
            {
                try
                {
                    await Write(t.Db, op, table, Row(("id", "w"), ("name", "changed"), (column, value)));
                    mismatches.Add($"{op} of an existing row with {column}={Show(value)} was accepted");
                }
                catch (DbException ex) when (ex.Status == 400)
                {
                }
            }
        }
        Assert.Equal(Row(("id", "w"), ("name", "W")), await t.Db.Get(table, Row(("id", "w")), null, Ct));
        AssertNone(mismatches);
    }

    [Fact]
    public async Task A_float_outside_the_integer_range_is_a_400_and_nothing_is_written()
    {
        await using var t = await Target.OpenAsync(Plain);
        await AssertStatus(400, () => t.Db.Put(t.T("plain"), Row(("id", "a"), ("big", 1e20f)), null, Ct));
        await AssertStatus(400, () => t.Db.Put(t.T("plain"), Row(("id", "b"), ("n", -1e30f)), null, Ct));
        Assert.Empty((await t.Db.Select(t.T("plain"), null, null, Ct)).Rows);
    }

    [Fact]
    public async Task A_wrong_type_in_a_key_or_a_condition_is_a_400()
    {
        await using var t = await Target.OpenAsync(With(Pairs, Plain));
        await AssertStatus(400, () => t.Db.Get(t.T("pairs"), Row(("a", "x"), ("b", "abc")), null, Ct));
        await AssertStatus(400, () => t.Db.Put(t.T("pairs"), Row(("a", "x"), ("b", 1.5)), null, Ct));
        await AssertStatus(400, () => t.Db.Select(t.T("plain"), Row(("n", "abc")), null, Ct));
        await AssertStatus(400, () => t.Db.Select(t.T("plain"), Row(("n", "1,x")), new DbOptions().Op("n", DbCompare.In), Ct));
        await AssertStatus(400, () => t.Db.DelAll(t.T("plain"), Row(("flag", "maybe")), null, Ct));
        Assert.Empty((await t.Db.Select(t.T("pairs"), null, null, Ct)).Rows);
    }

    [Fact]
    public async Task Text_of_the_default_limit_is_accepted_and_longer_text_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        var ok = new string('x', DbValues.DefaultMaxLength);
        await t.Db.Put(t.T("plain"), Row(("id", "a"), ("name", ok)), null, Ct);
        Assert.Equal(ok, (await t.Db.Get(t.T("plain"), Row(("id", "a")), null, Ct))?["name"]);
        await AssertStatus(400, () => t.Db.Put(t.T("plain"), Row(("id", "b"), ("name", ok + "y")), null, Ct));
        await AssertStatus(400, () => t.Db.Update(t.T("plain"), Row(("id", "a"), ("name", ok + "y")), null, Ct));
        Assert.Null(await t.Db.Get(t.T("plain"), Row(("id", "b")), null, Ct));
        Assert.Equal(ok, (await t.Db.Get(t.T("plain"), Row(("id", "a")), null, Ct))?["name"]);
    }

    [Fact]
    public async Task Json_over_the_default_limit_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        var big = new JsonArray([.. Enumerable.Range(0, DbValues.DefaultMaxLength / 4).Select(i => (JsonNode?)i)]);
        await AssertStatus(400, () => t.Db.Put(t.T("plain"), Row(("id", "a"), ("doc", big)), null, Ct));
        Assert.Null(await t.Db.Get(t.T("plain"), Row(("id", "a")), null, Ct));
    }

    [Fact]
    public async Task Text_over_a_column_max_length_is_a_400()
    {
        await using var t = await Target.OpenAsync(Stamped);
        await t.Db.Put(t.T("stamped"), Row(("id", "a"), ("short", "0123456789")), null, Ct);
        Assert.Equal("0123456789", (await t.Db.Get(t.T("stamped"), Row(("id", "a")), null, Ct))?["short"]);
        await AssertStatus(400, () => t.Db.Update(t.T("stamped"), Row(("id", "a"), ("short", "0123456789X")), null, Ct));
        await AssertStatus(400, () => t.Db.Put(t.T("stamped"), Row(("id", "b"), ("short", "0123456789X")), null, Ct));
        Assert.Equal("0123456789", (await t.Db.Get(t.T("stamped"), Row(("id", "a")), null, Ct))?["short"]);
        Assert.Null(await t.Db.Get(t.T("stamped"), Row(("id", "b")), null, Ct));
    }

    [Fact]
    public async Task A_missing_or_empty_primary_key_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var mismatches = new List<string>();
        foreach (var key in new object?[] { "missing", null, "" })
        {
            var row = Row(("name", "A"), ("hits", 1));
            if (!Equals(key, "missing")) row["id"] = key;
            var calls = new (string, Func<Task>)[]
            {
                ("get", () => t.Db.Get(table, row, null, Ct)),
                ("getcached", () => t.Db.GetCached(table, row, null, Ct).AsTask()),
                ("add", () => t.Db.Add(table, row, null, Ct)),
                ("put", () => t.Db.Put(table, row, null, Ct)),
                ("update", () => t.Db.Update(table, row, null, Ct)),
                ("incr", () => t.Db.Incr(table, row, null, Ct)),
                ("replace", () => t.Db.Replace(table, row, null, Ct)),
                ("del", () => t.Db.Del(table, row, null, Ct)),
                ("list", () => t.Db.List(table, [row], null, Ct)),
                ("batch", () => t.Db.Batch([new DbBatchItem(DbOperation.Put, table, row)], null, Ct)),
            };
            foreach (var (name, call) in calls)
            {
                try
                {
                    await call();
                    mismatches.Add($"{name} with key {Show(key)} was accepted");
                }
                catch (DbException ex) when (ex.Status == 400)
                {
                }
            }
        }
        AssertNone(mismatches);
        Assert.Empty((await t.Db.Select(table, null, null, Ct)).Rows);
    }

    [Fact]
    public async Task A_missing_part_of_a_composite_key_is_a_400()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await AssertStatus(400, () => t.Db.Put(t.T("pairs"), Row(("a", "x"), ("v", "1")), null, Ct));
        await AssertStatus(400, () => t.Db.Get(t.T("pairs"), Row(("b", 1)), null, Ct));
        await AssertStatus(400, () => t.Db.Del(t.T("pairs"), Row(("a", "x"), ("b", "")), null, Ct));
        await AssertStatus(400, () => t.Db.Incr(t.T("pairs"), Row(("b", 1), ("hits", 1)), null, Ct));
        Assert.Empty((await t.Db.Select(t.T("pairs"), null, null, Ct)).Rows);
    }

    [Fact]
    public async Task An_undescribed_table_is_a_400_for_every_operation()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("nosuchtable");
        var row = Row(("id", "a"));
        var calls = new (string, Func<Task>)[]
        {
            ("get", () => t.Db.Get(table, row, null, Ct)),
            ("getcached", () => t.Db.GetCached(table, row, null, Ct).AsTask()),
            ("add", () => t.Db.Add(table, row, null, Ct)),
            ("put", () => t.Db.Put(table, row, null, Ct)),
            ("update", () => t.Db.Update(table, row, null, Ct)),
            ("incr", () => t.Db.Incr(table, row, null, Ct)),
            ("replace", () => t.Db.Replace(table, row, null, Ct)),
            ("del", () => t.Db.Del(table, row, null, Ct)),
            ("select", () => t.Db.Select(table, row, null, Ct)),
            ("list", () => t.Db.List(table, [row], null, Ct)),
            ("updateall", () => t.Db.UpdateAll(table, row, Row(("name", "x")), null, Ct)),
            ("delall", () => t.Db.DelAll(table, row, null, Ct)),
            ("batch", () => t.Db.Batch([new DbBatchItem(DbOperation.Put, table, row)], null, Ct)),
            ("search", () => t.Db.Search(table, new DbNativeQuery("1 = 1"), null, Ct)),
            ("query", () => t.Db.Query(table, new DbNativeQuery("SELECT 1"), null, Ct)),
            ("scan", async () => { await foreach (var _ in t.Db.Scan(table, null, null, Ct)) { } }),
        };
        var mismatches = new List<string>();
        foreach (var (name, call) in calls)
        {
            try
            {
                await call();
                mismatches.Add($"{name} succeeded");
            }
            catch (DbException ex) when (ex.Status == 400)
            {
            }
            catch (Exception ex)
            {
                mismatches.Add($"{name}: {ex.GetType().Name} {(ex as DbException)?.Status} {ex.Message}");
            }
        }
        AssertNone(mismatches);
        Assert.Equal(400, Assert.Throws<DbException>(() => t.Db.Table(table)).Status);
    }

    [Fact]
    public async Task An_unknown_pool_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        await AssertStatus(400, () => t.Db.Get(t.T("plain"), Row(("id", "a")), new DbOptions { Pool = "nope" }, Ct));
        await AssertStatus(400, () => t.Db.Put(t.T("plain"), Row(("id", "a")), new DbOptions { Pool = "nope" }, Ct));
        Assert.Null(await t.Db.Get(t.T("plain"), Row(("id", "a")), null, Ct));
    }

    [Fact]
    public async Task Unknown_columns_are_ignored()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.Put(table, Row(("id", "a"), ("name", "A"), ("bogus", "x"), ("Name", "case differs"), ("n", 1)), null, Ct);
        await t.Db.Update(table, Row(("id", "a"), ("nope", 1)), null, Ct);
        await t.Db.Incr(table, Row(("id", "a"), ("hits", 1), ("HITS", 5), ("bogus", 2)), null, Ct);
        await t.Db.UpdateAll(table, Row(("n", 1), ("bogus", "zzz")), Row(("n", 2), ("extra", 3)), null, Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 2L), ("hits", 1L)), await t.Db.Get(table, Row(("id", "a"), ("bogus", 1)), null, Ct));
        Assert.Single((await t.Db.Select(table, Row(("bogus", "zzz")), new DbOptions { Sort = "bogus" }.Op("bogus", DbCompare.Gt), Ct)).Rows);
    }

    [Theory]
    [InlineData("garbage!")]
    [InlineData("abc")]
    [InlineData("%%%")]
    [InlineData("e30")]     // {}
    [InlineData("W10")]     // []
    [InlineData("WzEsMl0")] // [1,2] for a one-column order
    [InlineData("WyJ4Il0")] // ["x"] for an integer key
    [InlineData("W251bGxd")] // [null] for a key
    public async Task A_malformed_paging_token_is_a_400(string token)
    {
        await using var t = await Target.OpenAsync(Scores);
        await PutAll(t.Db, t.T("scores"), Enumerable.Range(0, 5).Select(i => Row(("id", i))));
        await AssertStatus(400, () => t.Db.Select(t.T("scores"), null, new DbOptions { Count = 2, Start = token }, Ct));
    }

    [Fact]
    public async Task A_negative_count_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        await AssertStatus(400, () => t.Db.Select(t.T("plain"), null, new DbOptions { Count = -1 }, Ct));
    }

    [Fact]
    public async Task Between_needs_exactly_two_values()
    {
        await using var t = await Target.OpenAsync(Plain);
        foreach (var value in new object[] { "1", new[] { 1, 2, 3 }, Array.Empty<int>() })
            await AssertStatus(400, () => t.Db.Select(t.T("plain"), Row(("n", value)), new DbOptions().Op("n", DbCompare.Between), Ct));
    }

    [Fact]
    public async Task Incr_past_the_largest_counter_is_a_400_and_keeps_the_counter()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.Put(t.T("plain"), Row(("id", "c"), ("hits", long.MaxValue - 1)), null, Ct);
        await t.Db.Incr(t.T("plain"), Row(("id", "c"), ("hits", 1)), null, Ct);
        Assert.Equal(long.MaxValue, (await t.Db.Get(t.T("plain"), Row(("id", "c")), null, Ct))?["hits"]);
        var rejected = false;
        try
        {
            await t.Db.Incr(t.T("plain"), Row(("id", "c"), ("hits", 1)), null, Ct);
        }
        catch (DbException ex) when (ex.Status == 400)
        {
            rejected = true;
        }
        var after = (await t.Db.Get(t.T("plain"), Row(("id", "c")), null, Ct))?["hits"];
        Assert.True(rejected && Same(long.MaxValue, after), $"the overflowing Incr was {(rejected ? "rejected" : "accepted")}; the counter is now {Show(after)}");
    }
}
