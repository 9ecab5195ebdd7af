using Backend.Data;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Operators, ordering, case-sensitivity and keyset paging, with the SQLite driver's results as the reference.</summary>
public abstract partial class SqlDriverTests<TTarget>
{
    private static string?[] Names => SqlDriverData.Names;

    private const long Base = SqlDriverData.Base;

    /// <summary>Rows r01..r12: n = i, name = Names[i-1], score = i/2, flag = i is even, big = Base + i.</summary>
    private async Task<TestDb> OpenWithRows()
    {
        var t = await Open(Items);
        await t.Db.BatchAsync(Enumerable.Range(1, Names.Length).Select(i => new DbBatchItem(DbOperation.Put, t.T("items"),
            Row(("id", $"r{i:00}"), ("name", Names[i - 1]), ("n", i), ("score", i / 2.0), ("flag", i % 2 == 0), ("big", Base + i)))), Ct);
        return t;
    }

    private static async Task<long[]> Ns(TestDb t, DbRow query, DbOptions? options = null) =>
        [.. (await t.Db.SelectAsync(t.T("items"), query, options, Ct)).Rows.Select(r => (long)r["n"]!)];

    [Theory]
    [MemberData(nameof(SqlDriverData.Operators), MemberType = typeof(SqlDriverData))]
    public async Task Each_operator_returns_exactly_the_matching_rows(string column, DbCompare op, object? value, long[] expected)
    {
        Target.RequireServer();
        await using var t = await OpenWithRows();
        Assert.Equal(expected, await Ns(t, Row((column, value)), new DbOptions().Op(column, op)));
        // the same condition in UpdateAll and DelAll touches the same rows
        if (expected.Length > 0 && !(value is null && op == DbCompare.Eq))
        {
            Assert.Equal(expected.Length, (await t.Db.UpdateAllAsync(t.T("items"), Row((column, value)), Row(("note", "hit")), new DbOptions().Op(column, op), Ct)).Affected);
            Assert.Equal(expected, await Ns(t, Row(("note", "hit"))));
            Assert.Equal(expected.Length, (await t.Db.DelAllAsync(t.T("items"), Row((column, value)), new DbOptions().Op(column, op), Ct)).Affected);
            Assert.Equal(Names.Length - expected.Length, (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows.Count);
        }
    }

    [Fact]
    public async Task Like_matches_ascii_letters_in_either_case_with_no_escape_character_as_on_sqlite()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        string[] names = ["Back\\slash", "back%slash", "BACK_SLASH", "Élan", "élan"];
        for (var i = 0; i < names.Length; i++) await t.Db.PutAsync(t.T("items"), Row(("id", $"r{i}"), ("name", names[i]), ("n", i)), Ct);
        async Task<long[]> Like(string pattern, DbRow? extra = null)
        {
            var query = extra ?? Row();
            query["name"] = pattern;
            return [.. (await t.Db.SelectAsync(t.T("items"), query, new DbOptions().Op("name", DbCompare.Like).Op("n", DbCompare.Ge), Ct)).Rows.Select(r => (long)r["n"]!)];
        }
        Assert.Equal(new long[] { 0 }, await Like("back\\%"));
        Assert.Equal(new long[] { 0, 1, 2 }, await Like("back_slash"));
        Assert.Equal(new long[] { 1, 2 }, await Like("back_slash", Row(("n", 1))));
        // SQLite folds ASCII letters only, and so does PostgreSQL's lower() in the "C" collation; MySQL's LOWER folds É too
        Assert.Equal(Target.Pool == "mysql" ? new long[] { 3, 4 } : [3], await Like("É%"));
        // in a native search and in UpdateAll/DelAll too
        var search = await t.Db.SearchAsync(t.T("items"), new DbNativeQuery("n < @max", new Dictionary<string, object?> { ["max"] = 2L }),
            new DbOptions { Count = 5 }, Ct);
        Assert.Equal(2, search.Rows.Count);
        Assert.Equal(3, (await t.Db.UpdateAllAsync(t.T("items"), Row(("name", "BACK%")), Row(("note", "b")), new DbOptions().Op("name", DbCompare.Like), Ct)).Affected);
        Assert.Equal(3, (await t.Db.SelectAsync(t.T("items"), Row(("note", "b")), Ct)).Rows.Count);
        Assert.Equal(2, (await t.Db.DelAllAsync(t.T("items"), Row(("name", "%SLASH"), ("n", 1)), new DbOptions().Op("name", DbCompare.Like).Op("n", DbCompare.Ge), Ct)).Affected);
        Assert.Equal(["r0", "r3", "r4"], Ids(await t.Db.SelectAsync(t.T("items"), null, Ct)));
    }

    [Fact]
    public async Task Conditions_on_several_columns_are_and_ed()
    {
        Target.RequireServer();
        await using var t = await OpenWithRows();
        var options = new DbOptions().Op("name", DbCompare.BeginsWith).Op("n", DbCompare.Gt);
        Assert.Equal(new long[] { 8 }, await Ns(t, Row(("name", "gr"), ("n", 7)), options));
    }

    [Fact]
    public async Task Sorting_is_binary_code_point_order_with_nulls_first_ascending_and_last_descending()
    {
        Target.RequireServer();
        await using var t = await OpenWithRows();
        long[] byName = [12, 9, 10, 6, 1, 2, 3, 4, 5, 7, 8, 11];
        Assert.Equal(byName, await Ns(t, Row(), new DbOptions { Sort = "name" }));
        Assert.Equal(byName.Reverse(), await Ns(t, Row(), new DbOptions { Sort = "name", Desc = true }));
        Assert.Equal(new long[] { 1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12 }, await Ns(t, Row(), new DbOptions { Sort = "flag" }));
        Assert.Equal(new long[] { 12, 10, 8, 6, 4, 2, 11, 9, 7, 5, 3, 1 }, await Ns(t, Row(), new DbOptions { Sort = "flag", Desc = true }));
        Assert.Equal(Enumerable.Range(1, 12).Reverse().Select(i => (long)i), await Ns(t, Row(), new DbOptions { Desc = true }));

        await using var u = await Open(Items);
        string[] words = ["b", "B", "a", "A", "_", "é", "Z", "z", "ab", "a b", "😀", "ﬀ"];
        for (var i = 0; i < words.Length; i++) await u.Db.PutAsync(u.T("items"), Row(("id", $"w{i:00}"), ("name", words[i])), Ct);
        var sorted = (await u.Db.SelectAsync(u.T("items"), null, new DbOptions { Sort = "name" }, Ct)).Rows.Select(r => (string)r["name"]!).ToList();
        // UTF-8 byte order, which is code point order (UTF-16 ordinal order differs only for surrogates: the emoji goes last)
        Assert.Equal(["A", "B", "Z", "_", "a", "a b", "ab", "b", "z", "é", "ﬀ", "😀"], sorted);
    }

    [Fact]
    public async Task Text_equality_and_keys_are_case_and_space_sensitive()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        await t.Db.AddAsync(t.T("items"), Row(("id", "apple"), ("name", "apple")), Ct);
        await t.Db.AddAsync(t.T("items"), Row(("id", "Apple"), ("name", "Apple")), Ct);
        await t.Db.AddAsync(t.T("items"), Row(("id", "apple "), ("name", "apple ")), Ct);
        await t.Db.AddAsync(t.T("items"), Row(("id", "äpple"), ("name", "äpple")), Ct);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "APPLE")), Ct));
        Assert.Equal("Apple", (await t.Db.GetAsync(t.T("items"), Row(("id", "Apple")), Ct))!["name"]);
        Assert.Equal("apple ", (await t.Db.GetAsync(t.T("items"), Row(("id", "apple ")), Ct))!["name"]);
        Assert.Equal(["apple"], Ids(await t.Db.SelectAsync(t.T("items"), Row(("name", "apple")), Ct)));
        Assert.Equal(["Apple"], Ids(await t.Db.SelectAsync(t.T("items"), Row(("name", "Apple")), Ct)));
        Assert.Empty((await t.Db.SelectAsync(t.T("items"), Row(("name", "APPLE")), Ct)).Rows);
        Assert.Equal(["apple", "apple "], Ids(await t.Db.SelectAsync(t.T("items"), Row(("name", "app")), new DbOptions().Op("name", DbCompare.BeginsWith), Ct)));
        Assert.Equal(0, (await t.Db.UpdateAsync(t.T("items"), Row(("id", "APPLE"), ("n", 1)), Ct)).Affected);
        Assert.Equal(0, (await t.Db.DelAsync(t.T("items"), Row(("id", "APPLE")), Ct)).Affected);
        Assert.Equal(4, (await t.Db.SelectAsync(t.T("items"), null, Ct)).Rows.Count);
    }

    /// <summary>20 rows: id 0..19 (int key), score = (i*7) % 5 with ties, maybe = NULL for every 4th row.</summary>
    private static void Scores(TableRegistry tables, string prefix) => tables.Add(prefix + "scores", t => t
        .Column("id", ColumnType.Int, primary: true)
        .Column("score", ColumnType.Int)
        .Column("ratio", ColumnType.Real)
        .Column("name")
        .Column("maybe", ColumnType.Int));

    private static long? Maybe(int i) => i % 4 == 0 ? null : i % 3;

    private static async Task<List<List<DbRow>>> AllPages(TestDb t, Func<DbOptions> options)
    {
        var pages = new List<List<DbRow>>();
        string? token = null;
        do
        {
            var o = options();
            o.Start = token;
            var result = await t.Db.SelectAsync(t.T("scores"), null, o, Ct);
            pages.Add(result.Rows);
            token = result.NextToken;
            Assert.True(pages.Count <= 100, "paging does not end");
        }
        while (token != "");
        return pages;
    }

    /// <summary>The ids in the order the database must return them: by the sort key (NULLs first ascending), then id.</summary>
    private static List<long> Expected(string? sort, bool desc)
    {
        var ids = Enumerable.Range(0, 20).ToList();
        IComparable? Key(int i) => sort switch
        {
            "score" => i * 7 % 5,
            "ratio" => i % 3 / 3.0,
            "name" => $"n{(19 - i) % 10}",
            "maybe" => Maybe(i),
            _ => i,
        };
        var comparer = Comparer<IComparable?>.Create((x, y) => x is null ? (y is null ? 0 : -1) : y is null ? 1 : x is string s ? string.CompareOrdinal(s, (string)y) : x.CompareTo(y));
        var ordered = desc ? ids.OrderByDescending(Key, comparer).ThenByDescending(i => i) : ids.OrderBy(Key, comparer).ThenBy(i => i);
        return [.. ordered.Select(i => (long)i)];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task Following_tokens_visits_every_row_exactly_once_in_order(int count)
    {
        Target.RequireServer();
        await using var t = await Open(Scores);
        await t.Db.BatchAsync(Enumerable.Range(0, 20).Select(i => new DbBatchItem(DbOperation.Put, t.T("scores"),
            Row(("id", i), ("score", i * 7 % 5), ("ratio", i % 3 / 3.0), ("name", $"n{(19 - i) % 10}"), ("maybe", Maybe(i))))), Ct);
        foreach (var sort in new string?[] { null, "score", "ratio", "name", "maybe" })
        {
            foreach (var desc in new[] { false, true })
            {
                var pages = await AllPages(t, () => new DbOptions { Count = count, Sort = sort, Desc = desc });
                Assert.Equal((20 + count - 1) / count, pages.Count);
                Assert.All(pages.SkipLast(1), p => Assert.Equal(count, p.Count));
                Assert.Equal(Expected(sort, desc), pages.SelectMany(p => p).Select(r => (long)r["id"]!));
            }
        }
        // with a selected subset the ordering columns are still used for the token and then dropped
        var only = await AllPages(t, () => new DbOptions { Count = count, Sort = "maybe", Desc = true, Select = ["score"] });
        Assert.All(only.SelectMany(p => p), r => Assert.Equal(["score"], r.Keys));
        Assert.Equal(20, only.Sum(p => p.Count));
    }

    [Theory]
    [InlineData(1, null, false)]
    [InlineData(3, null, true)]
    [InlineData(7, "v", false)]
    [InlineData(2, "v", true)]
    public async Task Paging_over_a_composite_key_visits_every_row_once(int count, string? sort, bool desc)
    {
        Target.RequireServer();
        await using var t = await Open(Pairs);
        await t.Db.BatchAsync(Enumerable.Range(0, 20).Select(i => new DbBatchItem(DbOperation.Put, t.T("pairs"),
            Row(("a", i % 2 == 0 ? "x" : "Y"), ("b", i / 2), ("v", i % 5 == 0 ? null : $"v{i % 3}")))), Ct);
        var keys = new List<(string, long)>();
        string? token = null;
        do
        {
            var page = await t.Db.SelectAsync(t.T("pairs"), null, new DbOptions { Count = count, Sort = sort, Desc = desc, Start = token }, Ct);
            keys.AddRange(page.Rows.Select(r => ((string)r["a"]!, (long)r["b"]!)));
            token = page.NextToken;
        }
        while (token != "");
        var all = Enumerable.Range(0, 20).Select(i => (A: i % 2 == 0 ? "x" : "Y", B: (long)(i / 2), V: i % 5 == 0 ? null : $"v{i % 3}")).ToList();
        IEnumerable<(string A, long B, string? V)> expected = sort is null
            ? all.OrderBy(k => k.A, StringComparer.Ordinal).ThenBy(k => k.B)
            : all.OrderBy(k => k.V, StringComparer.Ordinal).ThenBy(k => k.A, StringComparer.Ordinal).ThenBy(k => k.B);
        if (desc) expected = expected.Reverse();
        Assert.Equal(expected.Select(k => (k.A, k.B)), keys);
    }
}
