using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>Get/Add/Put/Update/Incr/Del through the facade on a real SQLite file.</summary>
public sealed class DbFacadeTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<TestDatabase> Open() => TestDatabase.OpenAsync(dir.NewFile("facade"), All);

    [Fact]
    public async Task Put_then_get_returns_exactly_the_written_columns()
    {
        await using var t = await Open();
        var put = await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A"), ("n", 5)), Ct);
        Assert.Equal(1, put.Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 5L)), await t.Db.GetAsync(Items, Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Get_of_a_missing_row_is_null()
    {
        await using var t = await Open();
        Assert.Null(await t.Db.GetAsync(Items, Row(("id", "nope")), Ct));
    }

    [Fact]
    public async Task Get_accepts_an_anonymous_object_as_the_key()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Pairs, new { a = "x", b = 2, v = "two" }, Ct);
        var row = await t.Db.GetAsync(Pairs, new { a = "x", b = "2" }, Ct);
        Assert.Equal("two", row?["v"]);
    }

    [Fact]
    public async Task Get_with_select_returns_only_the_chosen_columns()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A"), ("n", 5)), Ct);
        var row = await t.Db.GetAsync(Items, Row(("id", "a")), new DbOptions { Select = ["n"] }, Ct);
        Assert.Equal(Row(("n", 5L)), row);
    }

    [Fact]
    public async Task Get_with_only_unknown_select_columns_does_not_fail()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A")), Ct);
        var row = await t.Db.GetAsync(Items, Row(("id", "a")), new DbOptions { Select = ["bogus"] }, Ct);
        Assert.NotNull(row);
    }

    [Fact]
    public async Task Add_inserts_and_a_second_add_with_the_same_key_is_a_409()
    {
        await using var t = await Open();
        Assert.Equal(1, (await t.Db.AddAsync(Items, Row(("id", "a"), ("name", "first")), Ct)).Affected);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(Items, Row(("id", "a"), ("name", "second")), Ct));
        Assert.Equal(409, ex.Status);
        Assert.Equal("first", (await t.Db.GetAsync(Items, Row(("id", "a")), Ct))?["name"]);
    }

    [Fact]
    public async Task Add_with_a_composite_key_conflicts_only_on_the_whole_key()
    {
        await using var t = await Open();
        await t.Db.AddAsync(Pairs, Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.AddAsync(Pairs, Row(("a", "x"), ("b", 2)), Ct);
        await t.Db.AddAsync(Pairs, Row(("a", "y"), ("b", 1)), Ct);
        Assert.Equal(409, (await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(Pairs, Row(("a", "x"), ("b", 2)), Ct))).Status);
        Assert.Equal(3, (await t.Db.SelectAsync(Pairs, null, Ct)).Rows.Count);
    }

    [Fact]
    public async Task Update_changes_only_the_given_columns()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A"), ("n", 5)), Ct);
        var result = await t.Db.UpdateAsync(Items, Row(("id", "a"), ("n", 6), ("flag", true)), Ct);
        Assert.Equal(1, result.Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 6L), ("flag", true)), await t.Db.GetAsync(Items, Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Update_can_clear_a_column_with_null()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A"), ("n", 5)), Ct);
        await t.Db.UpdateAsync(Items, Row(("id", "a"), ("name", null)), Ct);
        Assert.Equal(Row(("id", "a"), ("n", 5L)), await t.Db.GetAsync(Items, Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Update_of_a_missing_row_affects_nothing_and_creates_nothing()
    {
        await using var t = await Open();
        Assert.Equal(0, (await t.Db.UpdateAsync(Items, Row(("id", "ghost"), ("name", "x")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAsync(Items, Row(("id", "ghost")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(Items, Row(("id", "ghost")), Ct));
    }

    [Fact]
    public async Task Update_with_only_the_key_reports_whether_the_row_exists()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal(1, (await t.Db.UpdateAsync(Items, Row(("id", "a")), Ct)).Affected);
        Assert.Equal("A", (await t.Db.GetAsync(Items, Row(("id", "a")), Ct))?["name"]);
    }

    [Fact]
    public async Task Put_replaces_the_whole_row()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A"), ("n", 5), ("flag", true), ("hits", 3)), Ct);
        await t.Db.PutAsync(Items, Row(("id", "a"), ("score", 2.5)), Ct);
        Assert.Equal(Row(("id", "a"), ("score", 2.5)), await t.Db.GetAsync(Items, Row(("id", "a")), Ct));
        Assert.Single((await t.Db.SelectAsync(Items, null, Ct)).Rows);
    }

    [Fact]
    public async Task Incr_creates_the_row_then_adds_to_counters_and_sets_other_columns()
    {
        await using var t = await Open();
        await t.Db.IncrAsync(Items, Row(("id", "c"), ("hits", 1), ("n", 5), ("name", "x")), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "x"), ("n", 5L), ("hits", 1L)), await t.Db.GetAsync(Items, Row(("id", "c")), Ct));

        await t.Db.IncrAsync(Items, Row(("id", "c"), ("hits", "5"), ("n", 7), ("name", "y")), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "y"), ("n", 7L), ("hits", 6L)), await t.Db.GetAsync(Items, Row(("id", "c")), Ct));

        await t.Db.IncrAsync(Items, Row(("id", "c"), ("hits", -10)), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "y"), ("n", 7L), ("hits", -4L)), await t.Db.GetAsync(Items, Row(("id", "c")), Ct));
    }

    [Fact]
    public async Task Incr_of_a_counter_that_is_null_starts_from_zero()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "c"), ("name", "x")), Ct);
        await t.Db.IncrAsync(Items, Row(("id", "c"), ("hits", 2)), Ct);
        Assert.Equal(2L, (await t.Db.GetAsync(Items, Row(("id", "c")), Ct))?["hits"]);
    }

    [Fact]
    public async Task Incr_with_an_empty_counter_value_does_not_wipe_the_counter()
    {
        await using var t = await Open();
        await t.Db.IncrAsync(Items, Row(("id", "c"), ("hits", 5)), Ct);
        try
        {
            await t.Db.IncrAsync(Items, Row(("id", "c"), ("hits", ""), ("name", "x")), Ct);
        }
        catch (DbException ex) when (ex.Status == 400)
        {
            // rejecting it is fine too
        }
        Assert.Equal(5L, (await t.Db.GetAsync(Items, Row(("id", "c")), Ct))?["hits"]);
    }

    [Fact]
    public async Task Incr_with_only_the_key_creates_the_row_once()
    {
        await using var t = await Open();
        await t.Db.IncrAsync(Pairs, Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.IncrAsync(Pairs, Row(("a", "x"), ("b", 1)), Ct);
        Assert.Equal([Row(("a", "x"), ("b", 1L))], (await t.Db.SelectAsync(Pairs, null, Ct)).Rows);
    }

    [Fact]
    public async Task Del_removes_the_row()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A")), Ct);
        await t.Db.PutAsync(Items, Row(("id", "b"), ("name", "B")), Ct);
        Assert.Equal(1, (await t.Db.DelAsync(Items, Row(("id", "a"), ("name", "ignored")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(Items, Row(("id", "a")), Ct));
        Assert.NotNull(await t.Db.GetAsync(Items, Row(("id", "b")), Ct));
        Assert.Equal(0, (await t.Db.DelAsync(Items, Row(("id", "a")), Ct)).Affected);
    }

    [Fact]
    public async Task Del_with_a_composite_key_removes_only_that_row()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Pairs, Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.PutAsync(Pairs, Row(("a", "x"), ("b", 2)), Ct);
        await t.Db.DelAsync(Pairs, Row(("a", "x"), ("b", 1)), Ct);
        Assert.Equal([Row(("a", "x"), ("b", 2L))], (await t.Db.SelectAsync(Pairs, null, Ct)).Rows);
    }

    // ---- now and value columns ----

    [Theory]
    [InlineData(DbOperation.Add)]
    [InlineData(DbOperation.Put)]
    [InlineData(DbOperation.Incr)]
    public async Task Now_columns_are_set_on_create(DbOperation op)
    {
        await using var t = await Open();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var row = Row(("id", "a"), ("mtime", 5));
        await (op switch
        {
            DbOperation.Add => t.Db.AddAsync(Stamped, row, Ct),
            DbOperation.Put => t.Db.PutAsync(Stamped, row, Ct),
            _ => t.Db.IncrAsync(Stamped, row, Ct),
        });
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var mtime = (await t.Db.GetAsync(Stamped, Row(("id", "a")), Ct))?.GetLong("mtime");
        Assert.NotNull(mtime);
        Assert.InRange(mtime.Value, before, after);
    }

    [Fact]
    public async Task Now_columns_are_set_again_on_update()
    {
        await using var t = await Open();
        await t.Db.AddAsync(Stamped, Row(("id", "a")), Ct);
        // Force an old value underneath, then check Update replaces it.
        TestDatabase.Query(t.Path, "UPDATE stamped SET mtime = 1 WHERE id = 'a'");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await t.Db.UpdateAsync(Stamped, Row(("id", "a"), ("name", "x")), Ct);
        Assert.InRange((await t.Db.GetAsync(Stamped, Row(("id", "a")), Ct))!.GetLong("mtime")!.Value, before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Theory]
    [InlineData(DbOperation.Add)]
    [InlineData(DbOperation.Put)]
    public async Task Value_defaults_fill_missing_columns_on_add_and_put(DbOperation op)
    {
        await using var t = await Open();
        var row = Row(("id", "a"), ("name", "A"));
        await (op == DbOperation.Add ? t.Db.AddAsync(Stamped, row, Ct) : t.Db.PutAsync(Stamped, row, Ct));
        var got = (await t.Db.GetAsync(Stamped, Row(("id", "a")), Ct))!;
        Assert.Equal("new", got["status"]);
        Assert.Equal(1L, got["level"]);
        Assert.Equal(true, got["active"]);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse("[\"a\"]"), (System.Text.Json.Nodes.JsonNode?)got["tags"]));
        Assert.False(got.ContainsKey("short"));
    }

    [Fact]
    public async Task Value_defaults_do_not_override_given_values()
    {
        await using var t = await Open();
        await t.Db.AddAsync(Stamped, Row(("id", "a"), ("status", "done"), ("level", "3"), ("active", "0")), Ct);
        var got = (await t.Db.GetAsync(Stamped, Row(("id", "a")), Ct))!;
        Assert.Equal("done", got["status"]);
        Assert.Equal(3L, got["level"]);
        Assert.Equal(false, got["active"]);
    }

    [Fact]
    public async Task Update_does_not_reset_columns_to_their_defaults()
    {
        await using var t = await Open();
        await t.Db.AddAsync(Stamped, Row(("id", "a"), ("status", "done")), Ct);
        await t.Db.UpdateAsync(Stamped, Row(("id", "a"), ("name", "x")), Ct);
        Assert.Equal("done", (await t.Db.GetAsync(Stamped, Row(("id", "a")), Ct))?["status"]);
    }

    // ---- bad input ----

    [Fact]
    public async Task Unknown_columns_are_ignored()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", "A"), ("bogus", "x"), ("Name", "case differs")), Ct);
        await t.Db.UpdateAsync(Items, Row(("id", "a"), ("nope", 1)), Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetAsync(Items, Row(("id", "a"), ("bogus", 1)), Ct));
        Assert.Single((await t.Db.SelectAsync(Items, Row(("bogus", "zzz")), Ct)).Rows);
    }

    public static TheoryData<DbOperation, object?> MissingKeys => new()
    {
        { DbOperation.Get, null },
        { DbOperation.Add, null },
        { DbOperation.Put, "" },
        { DbOperation.Update, null },
        { DbOperation.Incr, "" },
        { DbOperation.Del, null },
        { DbOperation.Put, "missing" },
        { DbOperation.Get, "missing" },
    };

    [Theory]
    [MemberData(nameof(MissingKeys))]
    public async Task A_missing_or_empty_primary_key_is_a_400(DbOperation op, object? key)
    {
        await using var t = await Open();
        var row = Row(("name", "A"), ("hits", 1));
        if (!Equals(key, "missing")) row["id"] = key;
        var ex = await Assert.ThrowsAsync<DbException>(() => Call(t.Db, op, Items, row));
        Assert.Equal(400, ex.Status);
        Assert.Empty((await t.Db.SelectAsync(Items, null, Ct)).Rows);
    }

    [Fact]
    public async Task A_missing_part_of_a_composite_key_is_a_400()
    {
        await using var t = await Open();
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(Pairs, Row(("a", "x"), ("v", "1")), Ct))).Status);
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.GetAsync(Pairs, Row(("b", 1)), Ct).AsTask())).Status);
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.DelAsync(Pairs, Row(("a", "x"), ("b", "")), Ct))).Status);
    }

    [Theory]
    [InlineData(DbOperation.Get)]
    [InlineData(DbOperation.Add)]
    [InlineData(DbOperation.Put)]
    [InlineData(DbOperation.Update)]
    [InlineData(DbOperation.Incr)]
    [InlineData(DbOperation.Del)]
    [InlineData(DbOperation.Select)]
    public async Task An_undescribed_table_is_a_400(DbOperation op)
    {
        await using var t = await Open();
        var ex = await Assert.ThrowsAsync<DbException>(() => Call(t.Db, op, "nosuchtable", Row(("id", "a"))));
        Assert.Equal(400, ex.Status);
        Assert.Equal(400, Assert.Throws<DbException>(() => t.Db.Table("nosuchtable")).Status);
    }

    [Fact]
    public async Task An_unknown_pool_is_a_400()
    {
        await using var t = await Open();
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.GetAsync(Items, Row(("id", "a")), new DbOptions { Pool = "nope" }, Ct).AsTask());
        Assert.Equal(400, ex.Status);
    }

    public static TheoryData<string, object> WrongTypes => new()
    {
        { "n", "abc" },
        { "n", "1.5" },
        { "n", 2.5 },
        { "big", "12x" },
        { "score", "abc" },
        { "score", double.NaN },
        { "score", double.PositiveInfinity },
        { "flag", "maybe" },
        { "flag", "2x" },
        { "hits", "many" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task A_wrong_type_is_a_400_and_nothing_is_written(string column, object value)
    {
        await using var t = await Open();
        foreach (var op in new[] { DbOperation.Add, DbOperation.Put, DbOperation.Incr })
        {
            var ex = await Assert.ThrowsAsync<DbException>(() => Call(t.Db, op, Items, Row(("id", "w"), ("name", "W"), (column, value))));
            Assert.Equal(400, ex.Status);
            Assert.Null(await t.Db.GetAsync(Items, Row(("id", "w")), Ct));
        }

        await t.Db.PutAsync(Items, Row(("id", "w"), ("name", "W")), Ct);
        var update = await Assert.ThrowsAsync<DbException>(() => t.Db.UpdateAsync(Items, Row(("id", "w"), ("name", "changed"), (column, value)), Ct));
        Assert.Equal(400, update.Status);
        Assert.Equal(Row(("id", "w"), ("name", "W")), await t.Db.GetAsync(Items, Row(("id", "w")), Ct));
    }

    [Fact]
    public async Task A_wrong_type_in_an_integer_key_is_a_400()
    {
        await using var t = await Open();
        Assert.Equal(400, (await Assert.ThrowsAsync<DbException>(() => t.Db.GetAsync(Pairs, Row(("a", "x"), ("b", "abc")), Ct).AsTask())).Status);
    }

    [Fact]
    public async Task Text_over_the_default_limit_is_a_400()
    {
        await using var t = await Open();
        var ok = new string('x', DbValues.DefaultMaxLength);
        await t.Db.PutAsync(Items, Row(("id", "a"), ("name", ok)), Ct);
        Assert.Equal(ok, (await t.Db.GetAsync(Items, Row(("id", "a")), Ct))?["name"]);

        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(Items, Row(("id", "b"), ("name", ok + "y")), Ct));
        Assert.Equal(400, ex.Status);
        Assert.Null(await t.Db.GetAsync(Items, Row(("id", "b")), Ct));
    }

    [Fact]
    public async Task Json_over_the_default_limit_is_a_400()
    {
        await using var t = await Open();
        var big = new System.Text.Json.Nodes.JsonArray([.. Enumerable.Range(0, DbValues.DefaultMaxLength / 4).Select(i => (System.Text.Json.Nodes.JsonNode?)i)]);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(Items, Row(("id", "a"), ("doc", big)), Ct));
        Assert.Equal(400, ex.Status);
    }

    [Fact]
    public async Task Text_over_a_column_max_length_is_a_400()
    {
        await using var t = await Open();
        await t.Db.PutAsync(Stamped, Row(("id", "a"), ("short", "0123456789")), Ct);
        Assert.Equal("0123456789", (await t.Db.GetAsync(Stamped, Row(("id", "a")), Ct))?["short"]);

        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.UpdateAsync(Stamped, Row(("id", "a"), ("short", "0123456789X")), Ct));
        Assert.Equal(400, ex.Status);
        Assert.Equal("0123456789", (await t.Db.GetAsync(Stamped, Row(("id", "a")), Ct))?["short"]);
    }

    internal static async Task<DbResult> Call(Db db, DbOperation op, string table, DbRow row)
    {
        switch (op)
        {
            case DbOperation.Get:
                var got = await db.GetAsync(table, row, Ct);
                return new DbResult { Rows = got is null ? [] : [got] };
            case DbOperation.Add: return await db.AddAsync(table, row, Ct);
            case DbOperation.Put: return await db.PutAsync(table, row, Ct);
            case DbOperation.Update: return await db.UpdateAsync(table, row, Ct);
            case DbOperation.Incr: return await db.IncrAsync(table, row, Ct);
            case DbOperation.Del: return await db.DelAsync(table, row, Ct);
            default: return await db.SelectAsync(table, row, Ct);
        }
    }
}
