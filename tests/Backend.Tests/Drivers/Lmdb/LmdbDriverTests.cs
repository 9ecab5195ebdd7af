using Backend.Configuration;
using Backend.Data;
using Backend.Lmdb;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.Lmdb;

/// <summary>What the conformance suite cannot see of the LMDB driver: the native library it loads, its pool URL, index
/// entries kept in step with the rows by every kind of write, index back-fill, and LMDB's key size limit.</summary>
public sealed class LmdbDriverTests(LmdbTarget target) : IClassFixture<LmdbTarget>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DbRow Row(params (string Name, object? Value)[] values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values) row[name] = value;
        return row;
    }

    private static void Photos(TableRegistry tables, string prefix) => tables.Add(prefix + "photo", t => t
        .Column("id", primary: true)
        .Column("name", index: 1)
        .Column("views", ColumnType.Counter));

    private static void PhotosWithoutIndex(TableRegistry tables, string prefix) => tables.Add(prefix + "photo", t => t
        .Column("id", primary: true)
        .Column("name")
        .Column("views", ColumnType.Counter));

    [Fact]
    public async Task The_system_liblmdb_so_0_is_loaded_not_the_bundled_library()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Linux only");
        await using var driver = target.CreateDriver();
        await using var t = await target.OpenAsync(Photos, driver);
        await t.Db.PutAsync(t.T("photo"), Row(("id", "a"), ("name", "x")), Ct);
        var maps = await File.ReadAllTextAsync("/proc/self/maps", Ct);
        Assert.Contains("liblmdb.so.0", maps, StringComparison.Ordinal);
        Assert.DoesNotContain("runtimes/linux-x64/native/liblmdb.so", maps, StringComparison.Ordinal);
    }

    [Fact]
    public void Pool_urls_name_a_directory_and_options()
    {
        Assert.Equal((Path.Combine("/srv/var", "lmdb", "backend"), 1024, 1024), LmdbDriverFactory.Parse("backend", "/srv/var"));
        Assert.Equal(("/data/env", 64, 10), LmdbDriverFactory.Parse("/data/env?mapsize=64&maxdbs=10", "/srv/var"));
        Assert.Equal(("/data/env", 1024, 1024), LmdbDriverFactory.Parse("lmdb:///data/env", "/srv/var"));
        Assert.Throws<ConfigException>(() => LmdbDriverFactory.Parse("", "/srv/var"));
        Assert.Throws<ConfigException>(() => LmdbDriverFactory.Parse("x?mapsize=big", "/srv/var"));
        Assert.Throws<ConfigException>(() => LmdbDriverFactory.Parse("x?pagesize=4096", "/srv/var"));
    }

    [Fact]
    public async Task Index_entries_follow_every_kind_of_write()
    {
        var driver = (LmdbDriver)target.CreateDriver();
        await using var t = await target.OpenAsync(Photos, driver);
        var photo = t.T("photo");
        var index = $"i:{photo}:name";
        async Task Check()
        {
            var all = (await t.Db.SelectAsync(photo, null, Ct)).Rows;
            Assert.Equal(all.Count, driver.Entries(index));
            foreach (var name in all.Select(r => r.GetValueOrDefault("name")).Distinct())
            {
                var expected = all.Where(r => Equals(r.GetValueOrDefault("name"), name)).Select(r => r["id"]).Order().ToList();
                if (name is null) continue;
                var viaIndex = (await t.Db.SelectAsync(photo, Row(("name", name)), Ct)).Rows.Select(r => r["id"]).Order().ToList();
                Assert.Equal(expected, viaIndex);
            }
        }

        for (var i = 0; i < 10; i++) await t.Db.AddAsync(photo, Row(("id", $"p{i}"), ("name", $"n{i % 3}")), Ct);
        await Check();
        await t.Db.UpdateAsync(photo, Row(("id", "p1"), ("name", "n2")), Ct);
        await t.Db.PutAsync(photo, Row(("id", "p2"), ("name", "other")), Ct);
        await t.Db.ReplaceAsync(photo, Row(("id", "p3"), ("name", "n0")), Ct);
        await t.Db.IncrAsync(photo, Row(("id", "p4"), ("views", 2), ("name", "n1")), Ct);
        await t.Db.UpdateAsync(photo, Row(("id", "p5"), ("name", null)), Ct);
        await t.Db.DelAsync(photo, Row(("id", "p6")), Ct);
        await Check();
        // A batch whose Add conflicts writes nothing: the row it changed before is back, and so is its index entry.
        await Assert.ThrowsAsync<DbException>(() => t.Db.BatchAsync(
            [new DbBatchItem(DbOperation.Update, photo, Row(("id", "p7"), ("name", "batch"))), new DbBatchItem(DbOperation.Add, photo, Row(("id", "p0")))], Ct));
        Assert.Empty((await t.Db.SelectAsync(photo, Row(("name", "batch")), Ct)).Rows);
        await Check();
        Assert.Equal(3, (await t.Db.UpdateAllAsync(photo, Row(("name", "n0")), Row(("name", "moved")), Ct)).Affected);
        await Check();
        Assert.Equal(3, (await t.Db.DelAllAsync(photo, Row(("name", "moved")), Ct)).Affected);
        await Check();
        Assert.Equal(6, driver.Entries(index));
    }

    [Fact]
    public async Task An_index_described_later_is_built_from_the_rows_and_one_removed_is_dropped()
    {
        var prefix = "ix" + Guid.NewGuid().ToString("N")[..8] + "_";
        await using (var v1 = await target.OpenWithPrefixAsync(PhotosWithoutIndex, prefix))
            for (var i = 0; i < 20; i++) await v1.Db.PutAsync(v1.T("photo"), Row(("id", $"p{i:00}"), ("name", $"n{i % 4}")), Ct);
        var driver = (LmdbDriver)target.CreateDriver();
        await using (var v2 = await target.OpenWithPrefixAsync(Photos, prefix, driver))
        {
            Assert.Equal(20, driver.Entries($"i:{prefix}photo:name"));
            var rows = (await v2.Db.SelectAsync(v2.T("photo"), Row(("name", "n1")), Ct)).Rows;
            Assert.Equal(["p01", "p05", "p09", "p13", "p17"], rows.Select(r => (string)r["id"]!));
        }
        var again = (LmdbDriver)target.CreateDriver();
        await using (await target.OpenWithPrefixAsync(PhotosWithoutIndex, prefix, again))
            Assert.Null(again.Entries($"i:{prefix}photo:name"));
    }

    [Fact]
    public async Task A_primary_key_longer_than_lmdb_keys_is_a_400_and_nothing_is_written()
    {
        await using var t = await target.OpenAsync(Photos);
        var photo = t.T("photo");
        var id = new string('k', 600);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.AddAsync(photo, Row(("id", id), ("name", "x")), Ct));
        Assert.Equal(DbErrorKind.BadInput, ex.Kind);
        Assert.Null(await t.Db.GetAsync(photo, Row(("id", id)), Ct));
        Assert.Equal(0, (await t.Db.DelAsync(photo, Row(("id", id)), Ct)).Affected);
        Assert.Empty((await t.Db.SelectAsync(photo, null, Ct)).Rows);
    }

    private static void Ranged(TableRegistry tables, string prefix) => tables.Add(prefix + "r", t => t
        .Column("k", primary: true)
        .Column("n", ColumnType.Real, primary: true)
        .Column("v"));

    [Fact]
    public async Task Key_range_selects_return_exactly_the_rows_a_filter_over_all_rows_returns()
    {
        await using var t = await target.OpenAsync(Ranged);
        var table = t.T("r");
        string[] keys = ["a", "a\0", "a\0b", "ab", "abc", "b", "\u00e9", "\U0001F600", "\uFFFD", "a "];
        double[] numbers = [-1e300, -2.5, -0.0, 0.5, 1, 3, 1e300];
        foreach (var k in keys)
            foreach (var n in numbers)
                await t.Db.PutAsync(table, Row(("k", k), ("n", n), ("v", $"{k}|{n}")), Ct);
        var all = (await t.Db.SelectAsync(table, null, Ct)).Rows;
        Assert.Equal(keys.Length * numbers.Length, all.Count);

        async Task Same(DbRow query, Dictionary<string, DbCompare> ops, Func<DbRow, bool> expected)
        {
            var options = new DbOptions();
            foreach (var (name, op) in ops) options.Ops[name] = op;
            var got = (await t.Db.SelectAsync(table, query, options, Ct)).Rows.Select(r => (string)r["v"]!).ToList();
            var want = all.Where(expected).Select(r => (string)r["v"]!).ToList();
            Assert.Equal(want, got);
        }

        static int Cmp(string a, string b) => LmdbFilterCompare(a, b);
        foreach (var k in keys)
        {
            await Same(Row(("k", k)), new() { ["k"] = DbCompare.Ge }, r => Cmp((string)r["k"]!, k) >= 0);
            await Same(Row(("k", k)), new() { ["k"] = DbCompare.Gt }, r => Cmp((string)r["k"]!, k) > 0);
            await Same(Row(("k", k)), new() { ["k"] = DbCompare.Le }, r => Cmp((string)r["k"]!, k) <= 0);
            await Same(Row(("k", k)), new() { ["k"] = DbCompare.Lt }, r => Cmp((string)r["k"]!, k) < 0);
            await Same(Row(("k", k)), new() { ["k"] = DbCompare.BeginsWith }, r => ((string)r["k"]!).StartsWith(k, StringComparison.Ordinal));
            foreach (var n in numbers)
            {
                await Same(Row(("k", k), ("n", n)), new() { ["n"] = DbCompare.Ge }, r => (string)r["k"]! == k && (double)r["n"]! >= n);
                await Same(Row(("k", k), ("n", n)), new() { ["n"] = DbCompare.Lt }, r => (string)r["k"]! == k && (double)r["n"]! < n);
            }
            await Same(Row(("k", k), ("n", new object[] { -2.5, 1 })), new() { ["n"] = DbCompare.Between }, r => (string)r["k"]! == k && (double)r["n"]! is >= -2.5 and <= 1);
        }
        await Same(Row(("k", new object[] { "a", "abc" })), new() { ["k"] = DbCompare.Between }, r => Cmp((string)r["k"]!, "a") >= 0 && Cmp((string)r["k"]!, "abc") <= 0);
    }

    /// <summary>Code point order (UTF-8 byte order), the order every driver sorts text in.</summary>
    private static int LmdbFilterCompare(string a, string b) =>
        System.Text.Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(b));

    [Fact]
    public async Task An_upsert_of_only_the_key_onto_an_existing_row_affects_0_like_the_sql_drivers()
    {
        // The same calls on SQLite first: the expectations are the SQL drivers' (ON CONFLICT DO NOTHING).
        var sqlite = new SqliteTarget();
        await sqlite.InitializeAsync();
        try
        {
            await UpsertOfOnlyTheKey(sqlite);
        }
        finally
        {
            await sqlite.DisposeAsync();
        }
        await UpsertOfOnlyTheKey(target);
    }

    private static async Task UpsertOfOnlyTheKey(DbTarget target)
    {
        await using var t = await target.OpenAsync(PhotosWithoutIndex);
        var photo = t.T("photo");
        Assert.Equal(1, (await t.Db.ReplaceAsync(photo, Row(("id", "a")), Ct)).Affected);
        Assert.NotNull(await t.Db.GetAsync(photo, Row(("id", "a")), Ct));
        Assert.Equal(0, (await t.Db.ReplaceAsync(photo, Row(("id", "a")), Ct)).Affected);
        Assert.Equal(0, (await t.Db.IncrAsync(photo, Row(("id", "a")), Ct)).Affected);
        Assert.Equal(1, (await t.Db.IncrAsync(photo, Row(("id", "a")), new DbOptions { NoUpsert = true }, Ct)).Affected);
        Assert.Equal(1, (await t.Db.IncrAsync(photo, Row(("id", "a"), ("views", 2)), Ct)).Affected);
        Assert.Equal(2L, (await t.Db.GetAsync(photo, Row(("id", "a")), Ct))?["views"]);
    }
}
