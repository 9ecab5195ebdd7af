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
        DbOperation.Add => await db.AddAsync(table, row, options, Ct),
        DbOperation.Put => await db.PutAsync(table, row, options, Ct),
        DbOperation.Update => await db.UpdateAsync(table, row, options, Ct),
        DbOperation.Incr => await db.IncrAsync(table, row, options, Ct),
        DbOperation.Replace => await db.ReplaceAsync(table, row, options, Ct),
        DbOperation.Del => await db.DelAsync(table, row, options, Ct),
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
                if (await t.Db.GetAsync(table, Row(("id", "w")), Ct) is not null)
                {
                    mismatches.Add($"{op} {column}={Show(value)} wrote a row");
                    await t.Db.DelAsync(table, Row(("id", "w")), Ct);
                }
            }
        }
        await t.Db.PutAsync(table, Row(("id", "w"), ("name", "W")), Ct);
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
        Assert.Equal(Row(("id", "w"), ("name", "W")), await t.Db.GetAsync(table, Row(("id", "w")), Ct));
        AssertNone(mismatches);
    }

    [Fact]
    public async Task A_float_outside_the_integer_range_is_a_400_and_nothing_is_written()
    {
        await using var t = await Target.OpenAsync(Plain);
        await AssertStatus(400, () => t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("big", 1e20f)), Ct));
        await AssertStatus(400, () => t.Db.PutAsync(t.T("plain"), Row(("id", "b"), ("n", -1e30f)), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("plain"), null, Ct)).Rows);
    }

    [Fact]
    public async Task A_wrong_type_in_a_key_or_a_condition_is_a_400()
    {
        await using var t = await Target.OpenAsync(With(Pairs, Plain));
        await AssertStatus(400, () => t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", "abc")), Ct).AsTask());
        await AssertStatus(400, () => t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1.5)), Ct));
        await AssertStatus(400, () => t.Db.SelectAsync(t.T("plain"), Row(("n", "abc")), Ct));
        await AssertStatus(400, () => t.Db.SelectAsync(t.T("plain"), Row(("n", "1,x")), new DbOptions().Op("n", DbCompare.In), Ct));
        await AssertStatus(400, () => t.Db.DelAllAsync(t.T("plain"), Row(("flag", "maybe")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows);
    }

    [Fact]
    public async Task Text_of_the_default_limit_is_accepted_and_longer_text_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        var ok = new string('x', DbValues.DefaultMaxLength);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", ok)), Ct);
        Assert.Equal(ok, (await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);
        await AssertStatus(400, () => t.Db.PutAsync(t.T("plain"), Row(("id", "b"), ("name", ok + "y")), Ct));
        await AssertStatus(400, () => t.Db.UpdateAsync(t.T("plain"), Row(("id", "a"), ("name", ok + "y")), Ct));
        Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "b")), Ct));
        Assert.Equal(ok, (await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct))?["name"]);
    }

    [Fact]
    public async Task Json_over_the_default_limit_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        var big = new JsonArray([.. Enumerable.Range(0, DbValues.DefaultMaxLength / 4).Select(i => (JsonNode?)i)]);
        await AssertStatus(400, () => t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("doc", big)), Ct));
        Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Text_over_a_column_max_length_is_a_400()
    {
        await using var t = await Target.OpenAsync(Stamped);
        await t.Db.PutAsync(t.T("stamped"), Row(("id", "a"), ("short", "0123456789")), Ct);
        Assert.Equal("0123456789", (await t.Db.GetAsync(t.T("stamped"), Row(("id", "a")), Ct))?["short"]);
        await AssertStatus(400, () => t.Db.UpdateAsync(t.T("stamped"), Row(("id", "a"), ("short", "0123456789X")), Ct));
        await AssertStatus(400, () => t.Db.PutAsync(t.T("stamped"), Row(("id", "b"), ("short", "0123456789X")), Ct));
        Assert.Equal("0123456789", (await t.Db.GetAsync(t.T("stamped"), Row(("id", "a")), Ct))?["short"]);
        Assert.Null(await t.Db.GetAsync(t.T("stamped"), Row(("id", "b")), Ct));
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
                ("get", () => t.Db.GetAsync(table, row, Ct).AsTask()),
                ("getcached", () => t.Db.GetCachedAsync(table, row, Ct).AsTask()),
                ("add", () => t.Db.AddAsync(table, row, Ct)),
                ("put", () => t.Db.PutAsync(table, row, Ct)),
                ("update", () => t.Db.UpdateAsync(table, row, Ct)),
                ("incr", () => t.Db.IncrAsync(table, row, Ct)),
                ("replace", () => t.Db.ReplaceAsync(table, row, Ct)),
                ("del", () => t.Db.DelAsync(table, row, Ct)),
                ("list", () => t.Db.ListAsync(table, [row], Ct)),
                ("batch", () => t.Db.BatchAsync([new DbBatchItem(DbOperation.Put, table, row)], Ct)),
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
        Assert.Empty((await t.Db.SelectAsync(table, null, Ct)).Rows);
    }

    [Fact]
    public async Task A_missing_part_of_a_composite_key_is_a_400()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await AssertStatus(400, () => t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("v", "1")), Ct));
        await AssertStatus(400, () => t.Db.GetAsync(t.T("pairs"), Row(("b", 1)), Ct).AsTask());
        await AssertStatus(400, () => t.Db.DelAsync(t.T("pairs"), Row(("a", "x"), ("b", "")), Ct));
        await AssertStatus(400, () => t.Db.IncrAsync(t.T("pairs"), Row(("b", 1), ("hits", 1)), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows);
    }

    [Fact]
    public async Task An_undescribed_table_is_a_400_for_every_operation()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("nosuchtable");
        var row = Row(("id", "a"));
        var calls = new (string, Func<Task>)[]
        {
            ("get", () => t.Db.GetAsync(table, row, Ct).AsTask()),
            ("getcached", () => t.Db.GetCachedAsync(table, row, Ct).AsTask()),
            ("add", () => t.Db.AddAsync(table, row, Ct)),
            ("put", () => t.Db.PutAsync(table, row, Ct)),
            ("update", () => t.Db.UpdateAsync(table, row, Ct)),
            ("incr", () => t.Db.IncrAsync(table, row, Ct)),
            ("replace", () => t.Db.ReplaceAsync(table, row, Ct)),
            ("del", () => t.Db.DelAsync(table, row, Ct)),
            ("select", () => t.Db.SelectAsync(table, row, Ct)),
            ("list", () => t.Db.ListAsync(table, [row], Ct)),
            ("updateall", () => t.Db.UpdateAllAsync(table, row, Row(("name", "x")), Ct)),
            ("delall", () => t.Db.DelAllAsync(table, row, Ct)),
            ("batch", () => t.Db.BatchAsync([new DbBatchItem(DbOperation.Put, table, row)], Ct)),
            ("search", () => t.Db.SearchAsync(table, new DbNativeQuery("1 = 1"), Ct)),
            ("query", () => t.Db.QueryAsync(table, new DbNativeQuery("SELECT 1"), Ct)),
            ("scan", async () => { await foreach (var _ in t.Db.ScanAsync(table, null, Ct)) { } }),
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
        await AssertStatus(400, () => t.Db.GetAsync(t.T("plain"), Row(("id", "a")), new DbOptions { Pool = "nope" }, Ct).AsTask());
        await AssertStatus(400, () => t.Db.PutAsync(t.T("plain"), Row(("id", "a")), new DbOptions { Pool = "nope" }, Ct));
        Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Unknown_columns_are_ignored()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.PutAsync(table, Row(("id", "a"), ("name", "A"), ("bogus", "x"), ("Name", "case differs"), ("n", 1)), Ct);
        await t.Db.UpdateAsync(table, Row(("id", "a"), ("nope", 1)), Ct);
        await t.Db.IncrAsync(table, Row(("id", "a"), ("hits", 1), ("HITS", 5), ("bogus", 2)), Ct);
        await t.Db.UpdateAllAsync(table, Row(("n", 1), ("bogus", "zzz")), Row(("n", 2), ("extra", 3)), Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 2L), ("hits", 1L)), await t.Db.GetAsync(table, Row(("id", "a"), ("bogus", 1)), Ct));
        Assert.Single((await t.Db.SelectAsync(table, Row(("bogus", "zzz")), new DbOptions { Sort = "bogus" }.Op("bogus", DbCompare.Gt), Ct)).Rows);
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
        await AssertStatus(400, () => t.Db.SelectAsync(t.T("scores"), null, new DbOptions { Count = 2, Start = token }, Ct));
    }

    [Fact]
    public async Task A_negative_count_is_a_400()
    {
        await using var t = await Target.OpenAsync(Plain);
        await AssertStatus(400, () => t.Db.SelectAsync(t.T("plain"), null, new DbOptions { Count = -1 }, Ct));
    }

    [Fact]
    public async Task Between_needs_exactly_two_values()
    {
        await using var t = await Target.OpenAsync(Plain);
        foreach (var value in new object[] { "1", new[] { 1, 2, 3 }, Array.Empty<int>() })
            await AssertStatus(400, () => t.Db.SelectAsync(t.T("plain"), Row(("n", value)), new DbOptions().Op("n", DbCompare.Between), Ct));
    }

    [Fact]
    public async Task Incr_past_the_largest_counter_is_a_400_and_keeps_the_counter()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "c"), ("hits", long.MaxValue - 1)), Ct);
        await t.Db.IncrAsync(t.T("plain"), Row(("id", "c"), ("hits", 1)), Ct);
        Assert.Equal(long.MaxValue, (await t.Db.GetAsync(t.T("plain"), Row(("id", "c")), Ct))?["hits"]);
        var rejected = false;
        try
        {
            await t.Db.IncrAsync(t.T("plain"), Row(("id", "c"), ("hits", 1)), Ct);
        }
        catch (DbException ex) when (ex.Status == 400)
        {
            rejected = true;
        }
        var after = (await t.Db.GetAsync(t.T("plain"), Row(("id", "c")), Ct))?["hits"];
        Assert.True(rejected && Same(long.MaxValue, after), $"the overflowing Incr was {(rejected ? "rejected" : "accepted")}; the counter is now {Show(after)}");
    }
}
