using Backend.Data;
using static Backend.Tests.Data.Schemas;

namespace Backend.Tests.Data;

/// <summary>Describing a table again with more columns and indexes upgrades the existing file on the next init.</summary>
public sealed class SchemaUpgradeTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Idx(params string[] columns) =>
        new TableSchema("album", [new ColumnSchema { Name = "id", Primary = 1 }]).IndexName(columns);

    private static void Version1(TableRegistry tables) => tables.Add("album", t => t
        .Column("id", primary: true)
        .Column("name", pub: true)
        .Column("mtime", ColumnType.BigInt));

    private static void Version2(TableRegistry tables) => tables.Add("album", t => t
        .Column("id", primary: true)
        .Column("name", pub: true, index: 1)
        .Column("mtime", ColumnType.BigInt)
        .Column("rating", ColumnType.Real, index: 2)
        .Column("tags", ColumnType.Json)
        .Column("owner", index: 2)
        .Column("likes", ColumnType.Counter));

    [Fact]
    public async Task Init_creates_tables_with_their_columns_and_indexes()
    {
        var path = dir.NewFile("create");
        await using var t = await TestDatabase.OpenAsync(path, Version2);
        Assert.Equal(["id", "name", "mtime", "rating", "tags", "owner", "likes"], TestDatabase.ColumnNames(path, "album"));
        Assert.Equal([Idx("name"), Idx("rating", "owner")], TestDatabase.IndexNames(path, "album").Order(StringComparer.Ordinal));
        var pk = TestDatabase.Query(path, "SELECT name FROM pragma_table_info('album') WHERE pk > 0 ORDER BY pk");
        Assert.Equal(["id"], pk.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Init_creates_a_composite_primary_key_in_key_order()
    {
        var path = dir.NewFile("pk");
        await using var t = await TestDatabase.OpenAsync(path, tables => tables.Add("photo", b => b
            .Column(new ColumnSchema { Name = "id", Type = ColumnType.Int, Primary = 2 })
            .Column("name")
            .Column(new ColumnSchema { Name = "album_id", Primary = 1 })));
        var pk = TestDatabase.Query(path, "SELECT name FROM pragma_table_info('photo') WHERE pk > 0 ORDER BY pk");
        Assert.Equal(["album_id", "id"], pk.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task Init_adds_new_columns_and_indexes_and_keeps_old_rows()
    {
        var path = dir.NewFile("upgrade");
        await using (var v1 = await TestDatabase.OpenAsync(path, Version1))
        {
            for (var i = 0; i < 5; i++) await v1.Db.PutAsync("album", Row(("id", $"a{i}"), ("name", $"Album {i}"), ("mtime", 1795970688797 + i)), Ct);
            Assert.Empty(TestDatabase.IndexNames(path, "album"));
        }

        await using var v2 = await TestDatabase.OpenAsync(path, Version2);
        Assert.Equal(["id", "name", "mtime", "rating", "tags", "owner", "likes"], TestDatabase.ColumnNames(path, "album"));
        Assert.Equal([Idx("name"), Idx("rating", "owner")], TestDatabase.IndexNames(path, "album").Order(StringComparer.Ordinal));

        for (var i = 0; i < 5; i++)
            Assert.Equal(Row(("id", $"a{i}"), ("name", $"Album {i}"), ("mtime", 1795970688797 + i)), await v2.Db.GetAsync("album", Row(("id", $"a{i}")), Ct));

        await v2.Db.UpdateAsync("album", Row(("id", "a1"), ("rating", 4.5), ("tags", "[\"x\"]"), ("owner", "me")), Ct);
        await v2.Db.IncrAsync("album", Row(("id", "a1"), ("likes", 3)), Ct);
        var row = (await v2.Db.GetAsync("album", Row(("id", "a1")), Ct))!;
        Assert.Equal(4.5, row["rating"]);
        Assert.Equal("me", row["owner"]);
        Assert.Equal(3L, row["likes"]);
        Assert.Equal("Album 1", row["name"]);
        Assert.Equal(["a1"], (await v2.Db.SelectAsync("album", Row(("owner", "me")), Ct)).Rows.Select(r => r["id"]));
    }

    [Fact]
    public async Task An_old_db_instance_keeps_working_beside_the_upgraded_one()
    {
        var path = dir.NewFile("side");
        await using var v1 = await TestDatabase.OpenAsync(path, Version1);
        await v1.Db.PutAsync("album", Row(("id", "a"), ("name", "A")), Ct);
        await using var v2 = await TestDatabase.OpenAsync(path, Version2);
        await v2.Db.UpdateAsync("album", Row(("id", "a"), ("owner", "me")), Ct);
        await v1.Db.PutAsync("album", Row(("id", "b"), ("name", "B")), Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A")), await v1.Db.GetAsync("album", Row(("id", "a")), Ct));
        Assert.Equal("me", (await v2.Db.GetAsync("album", Row(("id", "a")), Ct))?["owner"]);
        Assert.Equal("B", (await v2.Db.GetAsync("album", Row(("id", "b")), Ct))?["name"]);
    }

    [Fact]
    public async Task Init_is_idempotent()
    {
        var path = dir.NewFile("again");
        await using var t = await TestDatabase.OpenAsync(path, Version2);
        await t.Db.PutAsync("album", Row(("id", "a"), ("name", "A")), Ct);
        await t.Db.InitAsync(Ct);
        await t.Db.InitAsync(Ct);
        Assert.Equal(7, TestDatabase.ColumnNames(path, "album").Count);
        Assert.Equal(2, TestDatabase.IndexNames(path, "album").Count);
        Assert.Equal("A", (await t.Db.GetAsync("album", Row(("id", "a")), Ct))?["name"]);
    }

    [Fact]
    public async Task Extending_a_described_table_in_the_same_registry_merges_columns()
    {
        var path = dir.NewFile("merge");
        await using var t = await TestDatabase.OpenAsync(path, tables =>
        {
            Version1(tables);
            tables.Add("album", b => b.Column("gender", pub: true).Column("salary", ColumnType.Int).Column("name", index: 3));
        });
        var table = t.Db.Table("album");
        Assert.Equal(["id", "name", "mtime", "gender", "salary"], table.Columns.Select(c => c.Name));
        Assert.False(table.Column("name")!.Pub); // re-described columns are replaced
        Assert.Equal(["id", "name", "mtime", "gender", "salary"], TestDatabase.ColumnNames(path, "album"));
        Assert.Equal([Idx("name")], TestDatabase.IndexNames(path, "album"));
        await t.Db.PutAsync("album", Row(("id", "a"), ("salary", "100")), Ct);
        Assert.Equal(100L, (await t.Db.GetAsync("album", Row(("id", "a")), Ct))?["salary"]);
    }

    [Fact]
    public async Task Index_names_of_different_tables_do_not_collide()
    {
        var path = dir.NewFile("collide");
        await using var t = await TestDatabase.OpenAsync(path, tables => tables
            .Add("a_b", b => b.Column("id", primary: true).Column("c", index: 1))
            .Add("a", b => b.Column("id", primary: true).Column("b_c", index: 1)));
        Assert.Single(TestDatabase.IndexNames(path, "a_b"));
        Assert.Single(TestDatabase.IndexNames(path, "a"));
    }

    [Fact]
    public async Task Concurrent_init_of_the_same_upgrade_from_two_processes_succeeds()
    {
        for (var round = 0; round < 10; round++)
        {
            var path = dir.NewFile("race");
            await using (var v1 = await TestDatabase.OpenAsync(path, Version1)) { }

            var opens = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => TestDatabase.OpenAsync(path, Version2), Ct)));
            foreach (var o in opens) await o.DisposeAsync();
            Assert.Equal(7, TestDatabase.ColumnNames(path, "album").Count);
        }
    }
}
