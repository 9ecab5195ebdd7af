using System.Globalization;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Select: by key, key prefix, indexed and non-indexed columns; every operator on text and numbers gives
/// exactly the matching rows; the select, desc, sort and count options.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    /// <summary>Names of the 12 select rows r01..r12 (r12 has none): case, prefixes and LIKE wildcards as data.</summary>
    protected static readonly string?[] SelectNames =
    [
        "apple", "apricot", "banana", "blueberry", "cherry", "Apple pie",
        "grape", "grapefruit", "50% off", "500", "snake_case", null,
    ];

    /// <summary>A millisecond timestamp the big column starts from.</summary>
    protected const long Base = 1795970688797;

    /// <summary>Opens Items with rows r01..r12: n = i, name = SelectNames[i-1], score = i/2, flag = i is even, big = Base + i.</summary>
    private async Task<TestDb> OpenSelectRows()
    {
        var t = await Target.OpenAsync(Items);
        await PutAll(t.Db, t.T("items"), Enumerable.Range(1, SelectNames.Length).Select(i =>
            Row(("id", $"r{i:00}"), ("name", SelectNames[i - 1]), ("n", i), ("score", i / 2.0), ("flag", i % 2 == 0), ("big", Base + i))));
        return t;
    }

    /// <summary>Runs each (column, op, value) select and collects the ones whose n values differ from the expected set.</summary>
    private static async Task CheckOps(TestDb t, IEnumerable<(string Column, DbCompare Op, object? Value, long[] Expected)> cases)
    {
        var mismatches = new List<string>();
        foreach (var (column, op, value, expected) in cases)
        {
            var rows = (await t.Db.SelectAsync(t.T("items"), Row((column, value)), new DbOptions().Op(column, op), Ct)).Rows;
            var ns = rows.Select(r => r.GetLong("n") ?? -1).Order().ToArray();
            if (!ns.SequenceEqual(expected.Order()))
                mismatches.Add($"{column} {op} {Show(value)}: got [{string.Join(",", ns)}], expected [{string.Join(",", expected.Order())}]");
        }
        AssertNone(mismatches);
    }

    private static long[] Ns(DbResult result) => [.. result.Rows.Select(r => r.GetLong("n") ?? -1)];

    [Fact]
    public async Task Select_without_conditions_returns_every_row_in_key_order()
    {
        await using var t = await OpenSelectRows();
        var result = await t.Db.SelectAsync(t.T("items"), null, Ct);
        AssertWholeTableOrder(Enumerable.Range(1, 12).Select(i => (long)i), Ns(result));
        Assert.Equal("", result.NextToken);
    }

    [Fact]
    public async Task Select_by_the_primary_key_returns_that_row()
    {
        await using var t = await OpenSelectRows();
        var rows = (await t.Db.SelectAsync(t.T("items"), Row(("id", "r03")), Ct)).Rows;
        Assert.Equal("banana", Assert.Single(rows)["name"]);
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("id", "r99")), Ct)).Rows);
    }

    [Fact]
    public async Task Select_by_the_first_key_of_a_composite_key_returns_its_rows_in_range_key_order()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(0, 12).Select(i => Row(("a", i % 3 == 0 ? "x" : i % 3 == 1 ? "y" : "xy"), ("b", 20 - i), ("v", $"v{i}"))));
        var x = (await t.Db.SelectAsync(t.T("pairs"), Row(("a", "x")), Ct)).Rows;
        Assert.All(x, r => Assert.Equal("x", r["a"]));
        Assert.Equal([11L, 14, 17, 20], x.Select(r => (long)r["b"]!));
        var desc = (await t.Db.SelectAsync(t.T("pairs"), Row(("a", "y")), new DbOptions { Desc = true }, Ct)).Rows;
        Assert.Equal([19L, 16, 13, 10], desc.Select(r => (long)r["b"]!));
        Assert.Empty((await t.Db.SelectAsync(t.T("pairs"), Row(("a", "X")), Ct)).Rows);
    }

    [Fact]
    public async Task Select_by_the_first_key_with_a_range_condition_on_the_second()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(1, 10).SelectMany(i => new[] { Row(("a", "x"), ("b", i)), Row(("a", "y"), ("b", i)) }));
        var mismatches = new List<string>();
        foreach (var (op, value, expected) in new (DbCompare, object, long[])[]
        {
            (DbCompare.Gt, 7, [8, 9, 10]), (DbCompare.Ge, "7", [7, 8, 9, 10]), (DbCompare.Lt, 3, [1, 2]), (DbCompare.Le, 3, [1, 2, 3]),
            (DbCompare.Between, new[] { 4, 6 }, [4, 5, 6]), (DbCompare.Eq, 5, [5]), (DbCompare.In, new[] { 2, 9, 42 }, [2, 9]),
        })
        {
            var rows = (await t.Db.SelectAsync(t.T("pairs"), Row(("a", "x"), ("b", value)), new DbOptions().Op("b", op), Ct)).Rows;
            var got = rows.Select(r => (string)r["a"]! + r["b"]).ToList();
            var want = expected.Select(b => "x" + b).ToList();
            if (!got.SequenceEqual(want)) mismatches.Add($"b {op} {Show(value)}: [{string.Join(",", got)}], expected [{string.Join(",", want)}]");
        }
        AssertNone(mismatches);
    }

    [Fact]
    public async Task Select_by_an_indexed_column()
    {
        await using var t = await OpenSelectRows();
        await t.Db.PutAsync(t.T("items"), Row(("id", "r13"), ("name", "banana"), ("n", 13)), Ct);
        Assert.Equal(new long[] { 3, 13 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("name", "banana")), Ct)).Order());
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "Banana")), Ct)).Rows);
    }

    [Fact]
    public async Task Select_on_a_non_indexed_column()
    {
        await using var t = await OpenSelectRows();
        Assert.Equal(new long[] { 4 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("n", 4)), Ct)));
        Assert.Equal(new long[] { 2, 4, 6, 8, 10, 12 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("flag", true)), Ct)).Order());
        Assert.Equal(new long[] { 5 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("big", Base + 5)), Ct)));
        Assert.Equal(new long[] { 7 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("score", 3.5)), Ct)));
    }

    [Fact]
    public async Task Conditions_on_several_columns_are_and_ed()
    {
        await using var t = await OpenSelectRows();
        var options = new DbOptions().Op("name", DbCompare.BeginsWith).Op("n", DbCompare.Gt);
        Assert.Equal(new long[] { 8 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("name", "gr"), ("n", 7)), options, Ct)));
        Assert.Equal(new long[] { 4 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("flag", true), ("name", "blueberry")), Ct)));
        Assert.Empty(Ns(await t.Db.SelectAsync(t.T("items"), Row(("flag", false), ("name", "blueberry")), Ct)));
    }

    [Fact]
    public async Task Operator_eq_is_exact_and_case_sensitive_and_null_matches_missing_values()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("name", DbCompare.Eq, "banana", [3]), ("name", DbCompare.Eq, "Banana", []), ("name", DbCompare.Eq, "banan", []),
            ("name", DbCompare.Eq, "banana ", []), ("name", DbCompare.Eq, "500", [10]), ("name", DbCompare.Eq, null, [12]),
            ("n", DbCompare.Eq, "4", [4]), ("n", DbCompare.Eq, 4.0, [4]), ("score", DbCompare.Eq, 1.5, [3]),
            ("big", DbCompare.Eq, Base + 12, [12]), ("flag", DbCompare.Eq, "0", [1, 3, 5, 7, 9, 11]), ("id", DbCompare.Eq, "r07", [7]),
        ]);
    }

    [Fact]
    public async Task Operator_ne()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("n", DbCompare.Ne, 5, [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]),
            ("name", DbCompare.Ne, null, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
            ("flag", DbCompare.Ne, true, [1, 3, 5, 7, 9, 11]),
            ("id", DbCompare.Ne, "r01", [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        ]);
    }

    [Fact]
    public async Task Operators_gt_ge_lt_le_on_numbers()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("n", DbCompare.Gt, 10, [11, 12]), ("n", DbCompare.Ge, "10", [10, 11, 12]), ("n", DbCompare.Lt, 3, [1, 2]), ("n", DbCompare.Le, 3L, [1, 2, 3]),
            ("n", DbCompare.Gt, -100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), ("n", DbCompare.Gt, 12, []),
            ("score", DbCompare.Gt, 5.5, [12]), ("score", DbCompare.Le, "1", [1, 2]), ("score", DbCompare.Lt, 0.75, [1]), ("score", DbCompare.Ge, 5.49, [11, 12]),
            ("big", DbCompare.Ge, Base + 11, [11, 12]), ("big", DbCompare.Lt, (Base + 2).ToString(CultureInfo.InvariantCulture), [1]),
        ]);
    }

    [Fact]
    public async Task Operators_gt_ge_lt_le_on_text_compare_by_code_point()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("name", DbCompare.Gt, "grape", [8, 11]), ("name", DbCompare.Ge, "grape", [7, 8, 11]),
            ("name", DbCompare.Lt, "apple", [6, 9, 10]), ("name", DbCompare.Le, "Apple pie", [6, 9, 10]),
            ("name", DbCompare.Lt, "a", [6, 9, 10]), ("name", DbCompare.Gt, "Z", [1, 2, 3, 4, 5, 7, 8, 11]),
            ("id", DbCompare.Gt, "r10", [11, 12]), ("id", DbCompare.Le, "r02", [1, 2]),
        ]);
    }

    [Fact]
    public async Task Operator_in()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("n", DbCompare.In, "2, 4,99", [2, 4]), ("n", DbCompare.In, new[] { 12, 1 }, [1, 12]), ("n", DbCompare.In, new List<object> { "3", 5L }, [3, 5]),
            ("n", DbCompare.In, Array.Empty<int>(), []), ("n", DbCompare.In, 7, [7]),
            ("name", DbCompare.In, new[] { "apple", "cherry", "nope", "APPLE" }, [1, 5]), ("name", DbCompare.In, "500", [10]),
            ("id", DbCompare.In, new[] { "r02", "r11", "r99" }, [2, 11]), ("score", DbCompare.In, new[] { 0.5, 6.0 }, [1, 12]),
        ]);
    }

    [Fact]
    public async Task Operator_between_is_inclusive()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("n", DbCompare.Between, "3,5", [3, 4, 5]), ("n", DbCompare.Between, new[] { 11, 20 }, [11, 12]), ("n", DbCompare.Between, new[] { 5, 3 }, []),
            ("name", DbCompare.Between, new[] { "b", "c" }, [3, 4]), ("name", DbCompare.Between, new[] { "banana", "cherry" }, [3, 4, 5]),
            ("big", DbCompare.Between, new[] { Base + 1, Base + 2 }, [1, 2]), ("score", DbCompare.Between, new[] { 1.0, 2.0 }, [2, 3, 4]),
            ("id", DbCompare.Between, new[] { "r03", "r05" }, [3, 4, 5]),
        ]);
    }

    [Fact]
    public async Task Operator_begins_with_is_case_sensitive_and_treats_wildcards_literally()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("name", DbCompare.BeginsWith, "ap", [1, 2]), ("name", DbCompare.BeginsWith, "Ap", [6]), ("name", DbCompare.BeginsWith, "grape", [7, 8]),
            ("name", DbCompare.BeginsWith, "50%", [9]), ("name", DbCompare.BeginsWith, "snake_", [11]), ("name", DbCompare.BeginsWith, "snake%", []),
            ("name", DbCompare.BeginsWith, "zzz", []), ("name", DbCompare.BeginsWith, "apple", [1]), ("id", DbCompare.BeginsWith, "r1", [10, 11, 12]),
        ]);
    }

    [Fact]
    public async Task Operator_contains_is_case_sensitive_and_treats_wildcards_literally()
    {
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("name", DbCompare.Contains, "rape", [7, 8]), ("name", DbCompare.Contains, "pp", [1, 6]), ("name", DbCompare.Contains, "%", [9]),
            ("name", DbCompare.Contains, "e_c", [11]), ("name", DbCompare.Contains, "PP", []), ("name", DbCompare.Contains, "fruit", [8]),
            ("name", DbCompare.Contains, "_", [11]), ("name", DbCompare.Contains, " ", [6, 9]),
        ]);
    }

    [Fact]
    public async Task Operator_like_uses_sql_wildcards()
    {
        Assert.SkipUnless(SupportsLike, "LIKE patterns are not supported by this driver (a 400)");
        await using var t = await OpenSelectRows();
        await CheckOps(t,
        [
            ("name", DbCompare.Like, "b%", [3, 4]), ("name", DbCompare.Like, "50%", [9, 10]), ("name", DbCompare.Like, "%berry", [4]),
            ("name", DbCompare.Like, "gr_pe", [7]), ("name", DbCompare.Like, "banana", [3]),
        ]);
    }

    [Fact]
    public async Task Comparisons_never_match_rows_missing_the_column()
    {
        await using var t = await OpenSelectRows();
        await t.Db.PutAsync(t.T("items"), Row(("id", "r13"), ("name", "zzz")), Ct); // no n, no score: shows as -1
        await CheckOps(t,
        [
            ("n", DbCompare.Ne, 5, [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]), ("n", DbCompare.Lt, 100, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
            ("score", DbCompare.Ge, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), ("name", DbCompare.Ne, "apple", [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -1]),
            ("name", DbCompare.Lt, "b", [1, 2, 6, 9, 10]), ("name", DbCompare.Contains, "a", [1, 2, 3, 7, 8, 11]),
            ("name", DbCompare.In, new[] { "apple", "zzz" }, [1, -1]), ("n", DbCompare.Eq, null, [-1]), ("n", DbCompare.Ne, null, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
        ]);
    }

    [Fact]
    public async Task Operators_parsed_from_names_work_the_same()
    {
        await using var t = await OpenSelectRows();
        var mismatches = new List<string>();
        foreach (var (name, value, expected) in new (string, object, long[])[]
        {
            (">", 10, [11, 12]), ("gte", 10, [10, 11, 12]), ("<>", 2, [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), ("between", "1,2", [1, 2]), ("in", "3", [3]),
            ("lt", 2, [1]), ("=", 4, [4]), ("", 5, [5]),
        })
        {
            Assert.True(DbCompareNames.TryParse(name, out var op), name);
            var got = Ns(await t.Db.SelectAsync(t.T("items"), Row(("n", value)), new DbOptions().Op("n", op), Ct)).Order();
            if (!got.SequenceEqual(expected)) mismatches.Add($"'{name}': [{string.Join(",", got)}]");
        }
        AssertNone(mismatches);
        Assert.False(DbCompareNames.TryParse("~", out _));
    }

    [Fact]
    public async Task Select_option_returns_only_the_chosen_columns()
    {
        await using var t = await OpenSelectRows();
        var rows = (await t.Db.SelectAsync(t.T("items"), Row(("n", 3)), new DbOptions { Select = ["name", "score", "bogus"] }.Op("n", DbCompare.Le), Ct)).Rows;
        Assert.Equal([Row(("name", "apple"), ("score", 0.5)), Row(("name", "apricot"), ("score", 1.0)), Row(("name", "banana"), ("score", 1.5))],
            rows.OrderBy(r => (double)r["score"]!));
    }

    [Fact]
    public async Task Select_option_with_sort_and_count_drops_the_unselected_ordering_columns()
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenSelectRows();
        var result = await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Select = ["n"], Sort = "score", Desc = true, Count = 2 }, Ct);
        Assert.Equal([Row(("n", 12L)), Row(("n", 11L))], result.Rows);
        Assert.NotEqual("", result.NextToken);
        var next = await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Select = ["n"], Sort = "score", Desc = true, Count = 2, Start = result.NextToken }, Ct);
        Assert.Equal([Row(("n", 10L)), Row(("n", 9L))], next.Rows);
    }

    [Fact]
    public async Task Select_with_only_unknown_select_columns_returns_whole_rows()
    {
        await using var t = await OpenSelectRows();
        var all = (await t.Db.SelectAsync(t.T("items"), Row(("n", 3)), new DbOptions { Select = ["bogus"] }, Ct)).Rows;
        Assert.Equal("banana", Assert.Single(all).GetValueOrDefault("name"));
        var paged = (await t.Db.SelectAsync(t.T("items"), Row(("n", 3)), new DbOptions { Select = ["bogus"], Count = 5 }, Ct)).Rows;
        Assert.Equal("banana", Assert.Single(paged).GetValueOrDefault("name"));
    }

    [Fact]
    public async Task Desc_reverses_the_key_order()
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenSelectRows();
        Assert.Equal(Enumerable.Range(1, 12).Reverse().Select(i => (long)i), Ns(await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Desc = true }, Ct)));
        Assert.Equal(new long[] { 12, 11, 10 }, Ns(await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Desc = true, Count = 3 }, Ct)));
    }

    [Fact]
    public async Task Sort_orders_by_a_non_key_column_by_code_point_with_missing_values_first()
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenSelectRows();
        long[] byName = [12, 9, 10, 6, 1, 2, 3, 4, 5, 7, 8, 11];
        Assert.Equal(byName, Ns(await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Sort = "name" }, Ct)));
        Assert.Equal(byName.Reverse(), Ns(await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Sort = "name", Desc = true }, Ct)));
        Assert.Equal(new long[] { 6, 4, 2 }, Ns(await t.Db.SelectAsync(t.T("items"), Row(("flag", true), ("n", 6)), new DbOptions { Sort = "score", Desc = true }.Op("n", DbCompare.Le), Ct)));
    }

    [Fact]
    public async Task Sort_ties_are_broken_by_the_key()
    {
        Assert.SkipUnless(OrdersWholeTableSelects, "this driver does not order whole-table selects");
        await using var t = await OpenSelectRows();
        Assert.Equal(new long[] { 1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12 }, Ns(await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Sort = "flag" }, Ct)));
        Assert.Equal(new long[] { 12, 10, 8, 6, 4, 2, 11, 9, 7, 5, 3, 1 }, Ns(await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Sort = "flag", Desc = true }, Ct)));
    }

    [Fact]
    public async Task Sort_within_one_hash_key_orders_by_the_sort_column_then_the_range_key()
    {
        await using var t = await Target.OpenAsync(Pairs);
        await PutAll(t.Db, t.T("pairs"), Enumerable.Range(1, 8).Select(i => Row(("a", "x"), ("b", i), ("n", i % 3))));
        await t.Db.PutAsync(t.T("pairs"), Row(("a", "y"), ("b", 1), ("n", 0)), Ct);
        Assert.Equal([3L, 6, 1, 4, 7, 2, 5, 8], (await t.Db.SelectAsync(t.T("pairs"), Row(("a", "x")), new DbOptions { Sort = "n" }, Ct)).Rows.Select(r => (long)r["b"]!));
        Assert.Equal([8L, 5, 2, 7, 4, 1, 6, 3], (await t.Db.SelectAsync(t.T("pairs"), Row(("a", "x")), new DbOptions { Sort = "n", Desc = true }, Ct)).Rows.Select(r => (long)r["b"]!));
    }

    [Fact]
    public async Task Sort_by_an_unknown_column_orders_by_the_key()
    {
        await using var t = await OpenSelectRows();
        AssertWholeTableOrder(Enumerable.Range(1, 12).Select(i => (long)i), Ns(await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Sort = "bogus" }, Ct)));
    }

    [Fact]
    public async Task Count_limits_the_rows_and_gives_a_token()
    {
        await using var t = await OpenSelectRows();
        var result = await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Count = 4 }, Ct);
        Assert.Equal(4, result.Rows.Count);
        if (OrdersWholeTableSelects) Assert.Equal([1L, 2, 3, 4], Ns(result));
        Assert.NotEqual("", result.NextToken);
        var all = await t.Db.SelectAsync(t.T("items"), null, new DbOptions { Count = 12 }, Ct);
        Assert.Equal(12, all.Rows.Count);
        Assert.Equal("", all.NextToken);
    }

    [Fact]
    public async Task Empty_results_have_no_rows_and_an_empty_token()
    {
        await using var t = await Target.OpenAsync(With(Items, Pairs));
        foreach (var options in new DbOptions?[] { null, new() { Count = 1 }, new() { Count = 5, Sort = "name", Desc = true } })
        {
            var none = await t.Db.SelectAsync(t.T("items"), null, options, Ct);
            Assert.Empty(none.Rows);
            Assert.Equal("", none.NextToken);
        }
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", "A")), Ct);
        var filtered = await t.Db.SelectAsync(t.T("items"), Row(("name", "none")), new DbOptions { Count = 5 }, Ct);
        Assert.Empty(filtered.Rows);
        Assert.Equal("", filtered.NextToken);
        var noHash = await t.Db.SelectAsync(t.T("pairs"), Row(("a", "nope")), new DbOptions { Count = 5 }, Ct);
        Assert.Empty(noHash.Rows);
        Assert.Equal("", noHash.NextToken);
    }
}
