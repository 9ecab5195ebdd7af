using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>One read-only database with rows r01..r12 shared by <see cref="SelectTests"/>: n = i, name = Names[i-1],
/// score = i/2, flag = i is even, big = Base + i.</summary>
public sealed class SelectFixture : IAsyncLifetime
{
    public static readonly string?[] Names =
    [
        "apple", "apricot", "banana", "blueberry", "cherry", "Apple pie",
        "grape", "grapefruit", "50% off", "500", "snake_case", null,
    ];

    public const long Base = 1795970688797;

    private TestDatabase? _database;

    public TempDirectory Dir { get; } = new();

    internal TestDatabase Database => _database!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.OpenAsync(Dir.NewFile("select"), All);
        for (var i = 1; i <= Names.Length; i++)
        {
            await _database.Db.PutAsync(Items, Row(("id", $"r{i:00}"), ("name", Names[i - 1]), ("n", i), ("score", i / 2.0), ("flag", i % 2 == 0), ("big", Base + i)), TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
        Dir.Dispose();
    }
}

/// <summary>Select on real data: each operator returns exactly the matching rows; select, desc and sort options.</summary>
public sealed class SelectTests(SelectFixture fixture) : IClassFixture<SelectFixture>
{
    private const long Base = SelectFixture.Base;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The shared database; tests only read it. Returned as a no-op disposable so tests read like the others.</summary>
    private Task<Shared> Open() => Task.FromResult(new Shared(fixture.Database));

    private sealed class Shared(TestDatabase database) : IAsyncDisposable
    {
        public Db Db => database.Db;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static async Task<long[]> Ns(Shared t, DbRow query, DbOptions? options = null) =>
        [.. (await t.Db.SelectAsync(Items, query, options, Ct)).Rows.Select(r => (long)r["n"]!)];

    public static TheoryData<string, DbCompare, object?, long[]> Cases => new()
    {
        { "name", DbCompare.Eq, "banana", [3] },
        { "name", DbCompare.Eq, "Banana", [] },
        { "name", DbCompare.Eq, null, [12] },
        { "name", DbCompare.Ne, null, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
        { "n", DbCompare.Eq, "4", [4] },
        { "n", DbCompare.Ne, 5, [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12] },
        { "n", DbCompare.Gt, 10, [11, 12] },
        { "n", DbCompare.Ge, "10", [10, 11, 12] },
        { "n", DbCompare.Lt, 3, [1, 2] },
        { "n", DbCompare.Le, 3L, [1, 2, 3] },
        { "score", DbCompare.Gt, 5.5, [12] },
        { "score", DbCompare.Le, "1", [1, 2] },
        { "big", DbCompare.Ge, Base + 11, [11, 12] },
        { "big", DbCompare.Lt, (Base + 2).ToString(System.Globalization.CultureInfo.InvariantCulture), [1] },
        { "flag", DbCompare.Eq, true, [2, 4, 6, 8, 10, 12] },
        { "flag", DbCompare.Eq, "0", [1, 3, 5, 7, 9, 11] },
        { "n", DbCompare.In, "2, 4,99", [2, 4] },
        { "n", DbCompare.In, new[] { 12, 1 }, [1, 12] },
        { "name", DbCompare.In, new[] { "apple", "cherry", "nope" }, [1, 5] },
        { "name", DbCompare.In, "500", [10] },
        { "n", DbCompare.Between, "3,5", [3, 4, 5] },
        { "n", DbCompare.Between, new[] { 11, 20 }, [11, 12] },
        { "name", DbCompare.Between, new[] { "b", "c" }, [3, 4] },
        { "big", DbCompare.Between, new[] { Base + 1, Base + 2 }, [1, 2] },
        { "name", DbCompare.BeginsWith, "ap", [1, 2] },
        { "name", DbCompare.BeginsWith, "Ap", [6] },
        { "name", DbCompare.BeginsWith, "grape", [7, 8] },
        { "name", DbCompare.BeginsWith, "50%", [9] },
        { "name", DbCompare.BeginsWith, "snake_", [11] },
        { "name", DbCompare.BeginsWith, "zzz", [] },
        { "name", DbCompare.Contains, "rape", [7, 8] },
        { "name", DbCompare.Contains, "pp", [1, 6] },
        { "name", DbCompare.Contains, "%", [9] },
        { "name", DbCompare.Contains, "e_c", [11] },
        { "name", DbCompare.Contains, "PP", [] },
        { "name", DbCompare.Like, "b%", [3, 4] },
        { "name", DbCompare.Like, "50%", [9, 10] },
        { "name", DbCompare.Like, "%berry", [4] },
        { "name", DbCompare.Like, "gr_pe", [7] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_operator_returns_exactly_the_matching_rows(string column, DbCompare op, object? value, long[] expected)
    {
        await using var t = await Open();
        Assert.Equal(expected, await Ns(t, Row((column, value)), new DbOptions().Op(column, op)));
    }

    [Fact]
    public async Task Operators_parsed_from_names_work_the_same()
    {
        await using var t = await Open();
        foreach (var (name, value, expected) in new (string, object, long[])[]
        {
            (">", 10, [11, 12]), ("gte", 10, [10, 11, 12]), ("<>", 2, [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), ("between", "1,2", [1, 2]), ("in", "3", [3]),
        })
        {
            Assert.True(DbCompareNames.TryParse(name, out var op));
            Assert.Equal(expected, await Ns(t, Row(("n", value)), new DbOptions().Op("n", op)));
        }
    }

    [Fact]
    public async Task Conditions_on_several_columns_are_and_ed()
    {
        await using var t = await Open();
        var options = new DbOptions().Op("name", DbCompare.BeginsWith).Op("n", DbCompare.Gt);
        Assert.Equal(new long[] { 8 }, await Ns(t, Row(("name", "gr"), ("n", 7)), options));
    }

    [Fact]
    public async Task No_query_returns_every_row_in_key_order()
    {
        await using var t = await Open();
        var result = await t.Db.SelectAsync(Items, null, Ct);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), result.Rows.Select(r => (long)r["n"]!));
        Assert.Equal("", result.NextToken);
    }

    [Fact]
    public async Task Empty_results_have_no_rows_and_no_token()
    {
        await using var t = await Open();
        var result = await t.Db.SelectAsync(Items, Row(("name", "none")), new DbOptions { Count = 5 }, Ct);
        Assert.Empty(result.Rows);
        Assert.Equal("", result.NextToken);

        await using var empty = await TestDatabase.OpenAsync(fixture.Dir.NewFile("empty"), All);
        var none = await empty.Db.SelectAsync(Items, null, new DbOptions { Count = 1 }, Ct);
        Assert.Empty(none.Rows);
        Assert.Equal("", none.NextToken);
    }

    [Fact]
    public async Task Select_option_returns_only_the_chosen_columns()
    {
        await using var t = await Open();
        var rows = (await t.Db.SelectAsync(Items, Row(("n", 3)), new DbOptions { Select = ["name", "score", "bogus"] }.Op("n", DbCompare.Le), Ct)).Rows;
        Assert.Equal([Row(("name", "apple"), ("score", 0.5)), Row(("name", "apricot"), ("score", 1.0)), Row(("name", "banana"), ("score", 1.5))], rows);
    }

    [Fact]
    public async Task Select_option_with_sort_and_count_still_drops_the_unselected_ordering_columns()
    {
        await using var t = await Open();
        var result = await t.Db.SelectAsync(Items, null, new DbOptions { Select = ["n"], Sort = "score", Desc = true, Count = 2 }, Ct);
        Assert.Equal([Row(("n", 12L)), Row(("n", 11L))], result.Rows);
        Assert.NotEqual("", result.NextToken);
    }

    [Fact]
    public async Task Desc_reverses_the_key_order()
    {
        await using var t = await Open();
        Assert.Equal(Enumerable.Range(1, 12).Reverse().Select(i => (long)i), await Ns(t, Row(), new DbOptions { Desc = true }));
    }

    [Fact]
    public async Task Sort_orders_by_a_non_key_column()
    {
        await using var t = await Open();
        // Binary collation; NULL sorts first.
        long[] byName = [12, 9, 10, 6, 1, 2, 3, 4, 5, 7, 8, 11];
        Assert.Equal(byName, await Ns(t, Row(), new DbOptions { Sort = "name" }));
        Assert.Equal(byName.Reverse(), await Ns(t, Row(), new DbOptions { Sort = "name", Desc = true }));
        Assert.Equal(new long[] { 6, 4, 2 }, await Ns(t, Row(("flag", true), ("n", 6)), new DbOptions { Sort = "score", Desc = true }.Op("n", DbCompare.Le)));
    }

    [Fact]
    public async Task Sort_ties_are_broken_by_the_key()
    {
        await using var t = await Open();
        // flag false: 1,3,5,...; true: 2,4,...
        Assert.Equal(new long[] { 1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12 }, await Ns(t, Row(), new DbOptions { Sort = "flag" }));
        Assert.Equal(new long[] { 12, 10, 8, 6, 4, 2, 11, 9, 7, 5, 3, 1 }, await Ns(t, Row(), new DbOptions { Sort = "flag", Desc = true }));
    }

    [Fact]
    public async Task Count_limits_the_rows()
    {
        await using var t = await Open();
        var result = await t.Db.SelectAsync(Items, null, new DbOptions { Count = 4 }, Ct);
        Assert.Equal([1L, 2, 3, 4], result.Rows.Select(r => (long)r["n"]!));
        Assert.NotEqual("", result.NextToken);
    }
}
