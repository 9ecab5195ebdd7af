using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>A record described with attributes (<see cref="TableRegistry.Add{T}"/>), for the typed read test.</summary>
public sealed class ConformanceProfile
{
    /// <summary>Key.</summary>
    [Primary]
    public string Id { get; init; } = "";

    /// <summary>snake_case column user_name.</summary>
    [Pub]
    public string? UserName { get; init; }

    /// <summary>Int column.</summary>
    public int Age { get; init; }

    /// <summary>Real column.</summary>
    public double Score { get; init; }

    /// <summary>Bool column.</summary>
    public bool Active { get; init; }

    /// <summary>Json column.</summary>
    public List<string>? Tags { get; init; }

    /// <summary>Nullable BigInt column.</summary>
    public long? Visits { get; init; }
}

/// <summary>Get, Add, Put, Update, Incr, Replace, Del: each operation and its edge cases.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    [Fact]
    public async Task Put_then_get_returns_exactly_the_written_columns()
    {
        await using var t = await Target.OpenAsync(Plain);
        var put = await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A"), ("n", 5)), Ct);
        Assert.Equal(1, put.Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 5L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Get_accepts_keys_as_an_object_a_dictionary_or_json_and_converts_them()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await t.Db.PutAsync(t.T("pairs"), new { a = "x", b = 2, v = "two" }, Ct);
        Assert.Equal("two", (await t.Db.GetAsync(t.T("pairs"), new { a = "x", b = "2" }, Ct))?["v"]);
        Assert.Equal("two", (await t.Db.GetAsync(t.T("pairs"), new Dictionary<string, string> { ["a"] = "x", ["b"] = "2" }, null, Ct))?["v"]);
        Assert.Equal("two", (await t.Db.GetAsync(t.T("pairs"), JsonNode.Parse("{\"a\":\"x\",\"b\":2}")!.AsObject(), Ct))?["v"]);
        Assert.Null(await t.Db.GetAsync(t.T("pairs"), new { a = "x", b = 3 }, Ct));
        Assert.Null(await t.Db.GetAsync(t.T("pairs"), new { a = "X", b = 2 }, Ct));
    }

    [Fact]
    public async Task Get_and_Del_ignore_non_key_columns_in_the_keys()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal("A", (await t.Db.GetAsync(t.T("plain"), Row(("id", "a"), ("name", "other"), ("bogus", 1)), Ct))?["name"]);
        Assert.Equal(1, (await t.Db.DelAsync(t.T("plain"), Row(("id", "a"), ("name", "other")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Get_with_keys_already_typed_uses_them_and_leaves_the_callers_row_as_it_was()
    {
        // A key row of exactly the key columns, already typed, is sent without a copy (the facade's fast path): the
        // caller's row must come back unchanged, and reusing it for the next key must read the next row.
        await using var t = await Target.OpenAsync(Pairs);
        var table = t.T("pairs");
        await t.Db.PutAsync(table, Row(("a", "x"), ("b", 1), ("v", "one")), Ct);
        await t.Db.PutAsync(table, Row(("a", "x"), ("b", 2), ("v", "two")), Ct);
        var keys = Row(("a", "x"), ("b", 1L));
        var first = await t.Db.GetAsync(table, keys, Ct);
        Assert.Equal("one", first?["v"]);
        Assert.Equal(Row(("a", "x"), ("b", 1L)), keys);
        Assert.NotSame(keys, first);
        keys["b"] = 2L;
        Assert.Equal("two", (await t.Db.GetAsync(table, keys, Ct))?["v"]);
        keys["b"] = 3L;
        Assert.Null(await t.Db.GetAsync(table, keys, Ct));
        // Keys that need converting, or that miss a column, still go the checked way.
        Assert.Equal("two", (await t.Db.GetAsync(table, Row(("a", "x"), ("b", 2)), Ct))?["v"]);
        Assert.Equal("two", (await t.Db.GetAsync(table, Row(("a", "x"), ("b", "2")), Ct))?["v"]);
        await AssertStatus(400, () => t.Db.GetAsync(table, Row(("a", "x"), ("v", "two")), Ct).AsTask());
        await AssertStatus(400, () => t.Db.GetAsync(table, Row(("a", ""), ("b", 2L)), Ct).AsTask());
        await AssertStatus(400, () => t.Db.GetAsync(table, Row(("a", "x"), ("b", "two")), Ct).AsTask());
    }

    [Fact]
    public async Task Incr_with_NoUpsert_changes_an_existing_row_and_never_creates_one()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var existing = new DbOptions { NoUpsert = true };
        Assert.Equal(0, (await t.Db.IncrAsync(table, Row(("id", "a"), ("hits", 2), ("name", "A")), existing, Ct)).Affected);
        Assert.Equal(0, (await t.Db.IncrAsync(table, Row(("id", "a"), ("name", "A")), existing, Ct)).Affected);
        Assert.Equal(0, (await t.Db.IncrAsync(table, Row(("id", "a")), existing, Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(table, Row(("id", "a")), Ct));

        await t.Db.PutAsync(table, Row(("id", "a"), ("hits", 1), ("views", 5), ("n", 7)), Ct);
        Assert.Equal(1, (await t.Db.IncrAsync(table, Row(("id", "a"), ("hits", 2), ("name", "A")), existing, Ct)).Affected);
        Assert.Equal(1, (await t.Db.IncrAsync(table, Row(("id", "a"), ("views", -6)), existing, Ct)).Affected);
        Assert.Equal(1, (await t.Db.IncrAsync(table, Row(("id", "a")), existing, Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 7L), ("hits", 3L), ("views", -1L)), await t.Db.GetAsync(table, Row(("id", "a")), Ct));

        // Past the largest counter it is still a 400 that keeps the counter, not a missing row.
        await t.Db.PutAsync(table, Row(("id", "m"), ("hits", long.MaxValue)), Ct);
        await AssertStatus(400, () => t.Db.IncrAsync(table, Row(("id", "m"), ("hits", 1)), existing, Ct));
        Assert.True(Same(long.MaxValue, (await t.Db.GetAsync(table, Row(("id", "m")), Ct))?["hits"]));
    }

    [Fact]
    public async Task Get_with_select_returns_only_the_chosen_columns()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A"), ("n", 5), ("flag", true)), Ct);
        Assert.Equal(Row(("n", 5L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), new DbOptions { Select = ["n"] }, Ct));
        Assert.Equal(Row(("id", "a"), ("flag", true)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), new DbOptions { Select = ["flag", "id", "bogus"] }, Ct));
    }

    [Fact]
    public async Task Get_with_only_unknown_select_columns_returns_the_whole_row()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), new DbOptions { Select = ["bogus"] }, Ct));
    }

    [Fact]
    public async Task Add_inserts_a_new_row()
    {
        await using var t = await Target.OpenAsync(Plain);
        Assert.Equal(1, (await t.Db.AddAsync(t.T("plain"), Row(("id", "a"), ("name", "first"), ("n", 1)), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "first"), ("n", 1L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Add_on_an_existing_key_is_a_409_and_keeps_the_first_row()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.AddAsync(t.T("plain"), Row(("id", "a"), ("name", "first"), ("n", 1)), Ct);
        await AssertStatus(409, () => t.Db.AddAsync(t.T("plain"), Row(("id", "a"), ("name", "second")), Ct));
        Assert.Equal(Row(("id", "a"), ("name", "first"), ("n", 1L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Add_with_a_composite_key_conflicts_only_on_the_whole_key()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct);
        await t.Db.AddAsync(t.T("pairs"), Row(("a", "y"), ("b", 1)), Ct);
        await AssertStatus(409, () => t.Db.AddAsync(t.T("pairs"), Row(("a", "x"), ("b", "2"), ("v", "dup")), Ct));
        Assert.Equal(3, (await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows.Count);
        Assert.False((await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct))!.ContainsKey("v"));
    }

    [Fact]
    public async Task Put_replaces_the_whole_row()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A"), ("n", 5), ("flag", true), ("hits", 3), ("doc", "[1]")), Ct);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("score", 2.5)), Ct);
        Assert.Equal(Row(("id", "a"), ("score", 2.5)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
        Assert.Single((await t.Db.SelectAsync(t.T("plain"), null, Ct)).Rows);
    }

    [Fact]
    public async Task Put_on_a_composite_key_replaces_only_that_row()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("v", "one")), Ct);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 2), ("v", "two")), Ct);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("n", 7)), Ct);
        Assert.Equal(Row(("a", "x"), ("b", 1L), ("n", 7L)), await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct));
        Assert.Equal(Row(("a", "x"), ("b", 2L), ("v", "two")), await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct));
    }

    [Fact]
    public async Task Every_single_row_write_reports_one_affected_row()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        var affected = new List<(string, int)>
        {
            ("add", (await t.Db.AddAsync(table, Row(("id", "a"), ("n", 1)), Ct)).Affected),
            ("put new", (await t.Db.PutAsync(table, Row(("id", "b"), ("n", 1)), Ct)).Affected),
            ("put over an existing row", (await t.Db.PutAsync(table, Row(("id", "b"), ("n", 2)), Ct)).Affected),
            ("update", (await t.Db.UpdateAsync(table, Row(("id", "a"), ("n", 3)), Ct)).Affected),
            ("update to the same values", (await t.Db.UpdateAsync(table, Row(("id", "a"), ("n", 3)), Ct)).Affected),
            ("incr new", (await t.Db.IncrAsync(table, Row(("id", "c"), ("hits", 1)), Ct)).Affected),
            ("incr existing", (await t.Db.IncrAsync(table, Row(("id", "c"), ("hits", 1)), Ct)).Affected),
            ("replace new", (await t.Db.ReplaceAsync(table, Row(("id", "d"), ("n", 1)), Ct)).Affected),
            ("replace existing", (await t.Db.ReplaceAsync(table, Row(("id", "d"), ("n", 2)), Ct)).Affected),
            ("del", (await t.Db.DelAsync(table, Row(("id", "d")), Ct)).Affected),
        };
        Assert.All(affected, a => Assert.True(a.Item2 == 1, $"{a.Item1}: Affected {a.Item2}"));
    }

    [Fact]
    public async Task Update_changes_only_the_given_columns()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A"), ("n", 5), ("hits", 2)), Ct);
        Assert.Equal(1, (await t.Db.UpdateAsync(t.T("plain"), Row(("id", "a"), ("n", 6), ("flag", true)), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A"), ("n", 6L), ("flag", true), ("hits", 2L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Update_with_null_removes_the_column()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A"), ("n", 5), ("doc", "{\"x\":1}")), Ct);
        await t.Db.UpdateAsync(t.T("plain"), Row(("id", "a"), ("name", null), ("doc", null)), Ct);
        Assert.Equal(Row(("id", "a"), ("n", 5L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Update_of_a_missing_row_affects_nothing_and_creates_nothing()
    {
        await using var t = await Target.OpenAsync(With(Plain, Items));
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("plain"), Row(("id", "ghost"), ("name", "x")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("plain"), Row(("id", "ghost")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "ghost"), ("hits", 1)), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "ghost")), Ct));
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "ghost")), Ct));
        Assert.Empty((await t.Db.SelectAsync(t.T("plain"), null, Ct)).Rows);
    }

    [Fact]
    public async Task Update_with_only_the_key_reports_whether_the_row_exists()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal(1, (await t.Db.UpdateAsync(t.T("plain"), Row(("id", "a")), Ct)).Affected);
        Assert.Equal(Row(("id", "a"), ("name", "A")), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Update_sets_a_counter_rather_than_adding_to_it()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("hits", 5)), Ct);
        await t.Db.UpdateAsync(t.T("plain"), Row(("id", "a"), ("hits", 2)), Ct);
        Assert.Equal(2L, (await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct))?["hits"]);
    }

    [Fact]
    public async Task Incr_creates_the_row_then_adds()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        await t.Db.IncrAsync(table, Row(("id", "c"), ("hits", 1), ("n", 5), ("name", "x")), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "x"), ("n", 5L), ("hits", 1L)), await t.Db.GetAsync(table, Row(("id", "c")), Ct));

        await t.Db.IncrAsync(table, Row(("id", "c"), ("hits", "5"), ("views", 2), ("n", 7), ("name", "y")), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "y"), ("n", 7L), ("hits", 6L), ("views", 2L)), await t.Db.GetAsync(table, Row(("id", "c")), Ct));

        await t.Db.IncrAsync(table, Row(("id", "c"), ("hits", -10), ("views", 3)), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "y"), ("n", 7L), ("hits", -4L), ("views", 5L)), await t.Db.GetAsync(table, Row(("id", "c")), Ct));
    }

    [Fact]
    public async Task Incr_of_a_counter_that_is_null_starts_from_zero()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "c"), ("name", "x")), Ct);
        await t.Db.IncrAsync(t.T("plain"), Row(("id", "c"), ("hits", 2)), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "x"), ("hits", 2L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "c")), Ct));
    }

    [Fact]
    public async Task Incr_with_an_empty_counter_value_keeps_the_counter()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.IncrAsync(t.T("plain"), Row(("id", "c"), ("hits", 5)), Ct);
        await t.Db.IncrAsync(t.T("plain"), Row(("id", "c"), ("hits", ""), ("views", null), ("name", "x")), Ct);
        Assert.Equal(Row(("id", "c"), ("name", "x"), ("hits", 5L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "c")), Ct));
    }

    [Fact]
    public async Task Incr_with_only_the_key_creates_the_row_once()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await t.Db.IncrAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.IncrAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        Assert.Equal([Row(("a", "x"), ("b", 1L))], (await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows);
    }

    [Fact]
    public async Task Incr_on_a_composite_key_counts_each_row_separately()
    {
        await using var t = await Target.OpenAsync(Pairs);
        for (var i = 0; i < 3; i++) await t.Db.IncrAsync(t.T("pairs"), Row(("a", "x"), ("b", 1), ("hits", 1)), Ct);
        await t.Db.IncrAsync(t.T("pairs"), Row(("a", "x"), ("b", 2), ("hits", 10)), Ct);
        Assert.Equal(3L, (await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct))?["hits"]);
        Assert.Equal(10L, (await t.Db.GetAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct))?["hits"]);
    }

    [Fact]
    public async Task Replace_adds_the_row_when_missing()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.ReplaceAsync(t.T("plain"), Row(("id", "r"), ("name", "R"), ("n", 1), ("hits", 4)), Ct);
        Assert.Equal(Row(("id", "r"), ("name", "R"), ("n", 1L), ("hits", 4L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "r")), Ct));
    }

    [Fact]
    public async Task Replace_keeps_the_columns_it_does_not_give()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "r"), ("name", "R"), ("n", 1), ("flag", true), ("hits", 4)), Ct);
        await t.Db.ReplaceAsync(t.T("plain"), Row(("id", "r"), ("n", 2), ("hits", 10), ("score", 0.5)), Ct);
        Assert.Equal(Row(("id", "r"), ("name", "R"), ("n", 2L), ("flag", true), ("hits", 10L), ("score", 0.5)),
            await t.Db.GetAsync(t.T("plain"), Row(("id", "r")), Ct));
    }

    [Fact]
    public async Task Del_then_get_is_null()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "a"), ("name", "A")), Ct);
        await t.Db.PutAsync(t.T("plain"), Row(("id", "b"), ("name", "B")), Ct);
        Assert.Equal(1, (await t.Db.DelAsync(t.T("plain"), Row(("id", "a")), Ct)).Affected);
        Assert.Null(await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
        Assert.NotNull(await t.Db.GetAsync(t.T("plain"), Row(("id", "b")), Ct));
        Assert.Equal(0, (await t.Db.DelAsync(t.T("plain"), Row(("id", "a")), Ct)).Affected);
    }

    [Fact]
    public async Task Del_with_a_composite_key_removes_only_that_row()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "x"), ("b", 2)), Ct);
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "y"), ("b", 1)), Ct);
        Assert.Equal(1, (await t.Db.DelAsync(t.T("pairs"), Row(("a", "x"), ("b", 1)), Ct)).Affected);
        var left = (await t.Db.SelectAsync(t.T("pairs"), null, Ct)).Rows.Select(r => ((string)r["a"]!, (long)r["b"]!)).Order().ToList();
        Assert.Equal([("x", 2L), ("y", 1L)], left);
    }

    [Fact]
    public async Task A_deleted_key_can_be_added_again()
    {
        await using var t = await Target.OpenAsync(Plain);
        await t.Db.AddAsync(t.T("plain"), Row(("id", "a"), ("name", "A"), ("hits", 3)), Ct);
        await t.Db.DelAsync(t.T("plain"), Row(("id", "a")), Ct);
        await t.Db.AddAsync(t.T("plain"), Row(("id", "a"), ("n", 1)), Ct);
        Assert.Equal(Row(("id", "a"), ("n", 1L)), await t.Db.GetAsync(t.T("plain"), Row(("id", "a")), Ct));
    }

    // ---- now and value columns ----

    [Fact]
    public async Task Now_columns_are_set_on_every_write_and_ignore_given_values()
    {
        await using var t = await Target.OpenAsync(Stamped);
        var table = t.T("stamped");
        var writes = new (string Name, Func<string, Task> Write)[]
        {
            ("add", id => t.Db.AddAsync(table, Row(("id", id), ("mtime", 5)), Ct)),
            ("put", id => t.Db.PutAsync(table, Row(("id", id), ("mtime", 5)), Ct)),
            ("incr", id => t.Db.IncrAsync(table, Row(("id", id), ("mtime", 5)), Ct)),
            ("replace", id => t.Db.ReplaceAsync(table, Row(("id", id), ("mtime", 5)), Ct)),
        };
        var mismatches = new List<string>();
        foreach (var (name, write) in writes)
        {
            var before = NowMs;
            await write(name);
            var mtime = (await t.Db.GetAsync(table, Row(("id", name)), Ct))?.GetLong("mtime");
            if (mtime is not { } m || m < before || m > NowMs) mismatches.Add($"{name}: mtime {mtime} not in [{before}, now]");
        }
        AssertNone(mismatches);
    }

    [Fact]
    public async Task Now_columns_are_set_again_on_update_incr_and_replace()
    {
        await using var t = await Target.OpenAsync(Stamped);
        var table = t.T("stamped");
        await t.Db.AddAsync(table, Row(("id", "a")), Ct);
        var mismatches = new List<string>();
        foreach (var (name, write) in new (string, Func<Task>)[]
        {
            ("update", () => t.Db.UpdateAsync(table, Row(("id", "a"), ("name", "x")), Ct)),
            ("incr", () => t.Db.IncrAsync(table, Row(("id", "a"), ("name", "y")), Ct)),
            ("replace", () => t.Db.ReplaceAsync(table, Row(("id", "a"), ("name", "z")), Ct)),
        })
        {
            var previous = (await t.Db.GetAsync(table, Row(("id", "a")), Ct))!.GetLong("mtime")!.Value;
            await Task.Delay(5, Ct);
            var before = NowMs;
            await write();
            var mtime = (await t.Db.GetAsync(table, Row(("id", "a")), Ct))?.GetLong("mtime");
            if (mtime is not { } m || m < before || m <= previous) mismatches.Add($"{name}: mtime {mtime}, previous {previous}, write started {before}");
        }
        AssertNone(mismatches);
    }

    [Fact]
    public async Task Value_defaults_fill_missing_columns_on_add_and_put()
    {
        await using var t = await Target.OpenAsync(Stamped);
        await t.Db.AddAsync(t.T("stamped"), Row(("id", "a"), ("name", "A")), Ct);
        await t.Db.PutAsync(t.T("stamped"), Row(("id", "p"), ("name", "P")), Ct);
        foreach (var id in new[] { "a", "p" })
        {
            var got = (await t.Db.GetAsync(t.T("stamped"), Row(("id", id)), Ct))!;
            Assert.Equal("new", got["status"]);
            Assert.Equal(1L, got["level"]);
            Assert.Equal(true, got["active"]);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[\"a\"]"), (JsonNode?)got["tags"]));
            Assert.False(got.ContainsKey("short"));
        }
    }

    [Fact]
    public async Task Value_defaults_do_not_override_given_values()
    {
        await using var t = await Target.OpenAsync(Stamped);
        await t.Db.AddAsync(t.T("stamped"), Row(("id", "a"), ("status", "done"), ("level", "3"), ("active", "0"), ("tags", "[]")), Ct);
        var got = (await t.Db.GetAsync(t.T("stamped"), Row(("id", "a")), Ct))!;
        Assert.Equal("done", got["status"]);
        Assert.Equal(3L, got["level"]);
        Assert.Equal(false, got["active"]);
        Assert.True(JsonNode.DeepEquals(new JsonArray(), (JsonNode?)got["tags"]));
    }

    [Fact]
    public async Task Update_does_not_reset_columns_to_their_defaults()
    {
        await using var t = await Target.OpenAsync(Stamped);
        await t.Db.AddAsync(t.T("stamped"), Row(("id", "a"), ("status", "done"), ("level", 9)), Ct);
        await t.Db.UpdateAsync(t.T("stamped"), Row(("id", "a"), ("name", "x")), Ct);
        var got = (await t.Db.GetAsync(t.T("stamped"), Row(("id", "a")), Ct))!;
        Assert.Equal("done", got["status"]);
        Assert.Equal(9L, got["level"]);
        Assert.Equal("x", got["name"]);
    }

    // ---- typed records and row processors (facade behaviour every driver must keep) ----

    [Fact]
    public async Task Typed_records_round_trip_through_get_of_t()
    {
        await using var t = await Target.OpenAsync((tables, prefix) => tables.Add<ConformanceProfile>(prefix + "profile"));
        var table = t.T("profile");
        Assert.Equal(["id", "user_name", "age", "score", "active", "tags", "visits"], t.Db.Table(table).Columns.Select(c => c.Name));
        await t.Db.PutAsync(table, new ConformanceProfile { Id = "u1", UserName = "Ünï 😀", Age = 42, Score = 0.1, Active = true, Tags = ["a", "b"], Visits = 1795970688797 }, Ct);
        var p = await t.Db.GetAsync<ConformanceProfile>(table, new { id = "u1" }, Ct);
        Assert.NotNull(p);
        Assert.Equal(("u1", "Ünï 😀", 42, 0.1, true, 1795970688797L), (p.Id, p.UserName, p.Age, p.Score, p.Active, p.Visits!.Value));
        Assert.Equal(["a", "b"], p.Tags);
        Assert.Null(await t.Db.GetAsync<ConformanceProfile>(table, new { id = "nope" }, Ct));
    }

    [Fact]
    public async Task Row_processors_run_on_get_select_and_list_unless_disabled()
    {
        await using var t = await Target.OpenAsync(Plain);
        var table = t.T("plain");
        t.Db.SetProcessRow(table, (row, _, _) => row["computed"] = "seen " + row.GetString("id"));
        await t.Db.PutAsync(table, Row(("id", "a"), ("name", "A")), Ct);
        Assert.Equal("seen a", (await t.Db.GetAsync(table, Row(("id", "a")), Ct))?["computed"]);
        Assert.Equal("seen a", Assert.Single((await t.Db.SelectAsync(table, null, Ct)).Rows)["computed"]);
        Assert.Equal("seen a", Assert.Single((await t.Db.ListAsync(table, [Row(("id", "a"))], Ct)).Rows)["computed"]);
        Assert.False((await t.Db.GetAsync(table, Row(("id", "a")), new DbOptions { NoProcessRows = true }, Ct))!.ContainsKey("computed"));
    }
}
