using System.Text.Json.Nodes;
using Backend.Data;

namespace Backend.Tests.Conformance;

/// <summary>Schema upgrades: describing a table again with more columns and indexes (on a new column and on an
/// existing one) upgrades the existing table on the next init, keeping its rows.</summary>
public abstract partial class DbConformanceTests<TTarget>
{
    private static void AlbumV1(TableRegistry tables, string prefix) => tables.Add(prefix + "album", t => t
        .Column("id", primary: true)
        .Column("name", pub: true)
        .Column("mtime", ColumnType.BigInt));

    private static void AlbumV2(TableRegistry tables, string prefix) => tables.Add(prefix + "album", t => t
        .Column("id", primary: true)
        .Column("name", pub: true, index: 2)
        .Column("mtime", ColumnType.BigInt)
        .Column("owner", index: 1)
        .Column("tags", ColumnType.Json)
        .Column("likes", ColumnType.Counter));

    /// <summary>A fresh prefix for tables a test reopens.</summary>
    private static string NewPrefix() => "u" + Guid.NewGuid().ToString("N")[..10] + "_";

    [Fact]
    public async Task Reopening_with_an_extra_column_and_index_keeps_old_rows_and_the_new_column_works()
    {
        var prefix = NewPrefix();
        await using (var v1 = await Target.OpenWithPrefixAsync(AlbumV1, prefix))
        {
            await PutAll(v1.Db, v1.T("album"), Enumerable.Range(0, 5).Select(i => Row(("id", $"a{i}"), ("name", $"Album {i}"), ("mtime", 1795970688797 + i))));
        }

        await using var v2 = await Target.OpenWithPrefixAsync(AlbumV2, prefix);
        var album = v2.T("album");
        for (var i = 0; i < 5; i++)
            Assert.Equal(Row(("id", $"a{i}"), ("name", $"Album {i}"), ("mtime", 1795970688797 + i)), await v2.Db.GetAsync(album, Row(("id", $"a{i}")), Ct));

        await v2.Db.UpdateAsync(album, Row(("id", "a1"), ("owner", "me"), ("tags", "[\"x\"]")), Ct);
        await v2.Db.IncrAsync(album, Row(("id", "a1"), ("likes", 3)), Ct);
        await v2.Db.PutAsync(album, Row(("id", "a9"), ("name", "New"), ("owner", "me")), Ct);
        var row = (await v2.Db.GetAsync(album, Row(("id", "a1")), Ct))!;
        Assert.Equal("me", row["owner"]);
        Assert.Equal(3L, row["likes"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[\"x\"]"), (JsonNode?)row["tags"]));
        Assert.Equal("Album 1", row["name"]);
        Assert.Equal(["a1", "a9"], (await v2.Db.SelectAsync(album, Row(("owner", "me")), Ct)).Rows.Select(r => (string)r["id"]!).Order(StringComparer.Ordinal));
        Assert.Equal(6, (await v2.Db.SelectAsync(album, null, Ct)).Rows.Count);
        Assert.Equal(["a3"], (await v2.Db.SelectAsync(album, Row(("name", "Album 3")), Ct)).Rows.Select(r => (string)r["id"]!));
    }

    [Fact]
    public async Task An_old_db_keeps_working_beside_the_upgraded_one()
    {
        var prefix = NewPrefix();
        await using var v1 = await Target.OpenWithPrefixAsync(AlbumV1, prefix);
        await v1.Db.PutAsync(v1.T("album"), Row(("id", "a"), ("name", "A")), Ct);
        await using var v2 = await Target.OpenWithPrefixAsync(AlbumV2, prefix);
        await v2.Db.UpdateAsync(v2.T("album"), Row(("id", "a"), ("owner", "me")), Ct);
        await v1.Db.PutAsync(v1.T("album"), Row(("id", "b"), ("name", "B")), Ct);
        Assert.Equal(Row(("id", "a"), ("name", "A")), await v1.Db.GetAsync(v1.T("album"), Row(("id", "a")), Ct));
        Assert.Equal("me", (await v2.Db.GetAsync(v2.T("album"), Row(("id", "a")), Ct))?["owner"]);
        Assert.Equal(Row(("id", "b"), ("name", "B")), await v2.Db.GetAsync(v2.T("album"), Row(("id", "b")), Ct));
    }

    [Fact]
    public async Task Init_is_idempotent()
    {
        var prefix = NewPrefix();
        await using var t = await Target.OpenWithPrefixAsync(AlbumV2, prefix);
        await t.Db.PutAsync(t.T("album"), Row(("id", "a"), ("name", "A"), ("owner", "o")), Ct);
        await t.Db.InitAsync(Ct);
        await t.Db.InitAsync(Ct);
        await using (var again = await Target.OpenWithPrefixAsync(AlbumV2, prefix)) Assert.Equal("A", (await again.Db.GetAsync(again.T("album"), Row(("id", "a")), Ct))?["name"]);
        Assert.Equal(["a"], (await t.Db.SelectAsync(t.T("album"), Row(("owner", "o")), Ct)).Rows.Select(r => r["id"]));
    }

    [Fact]
    public async Task Reopening_with_fewer_columns_keeps_the_others_in_the_database()
    {
        var prefix = NewPrefix();
        await using (var v2 = await Target.OpenWithPrefixAsync(AlbumV2, prefix))
            await v2.Db.PutAsync(v2.T("album"), Row(("id", "a"), ("name", "A"), ("owner", "me"), ("likes", 2)), Ct);
        await using (var v1 = await Target.OpenWithPrefixAsync(AlbumV1, prefix))
        {
            Assert.Equal(Row(("id", "a"), ("name", "A")), Without(await v1.Db.GetAsync(v1.T("album"), Row(("id", "a")), Ct), "owner", "likes"));
            await v1.Db.UpdateAsync(v1.T("album"), Row(("id", "a"), ("name", "B")), Ct);
        }
        await using var again = await Target.OpenWithPrefixAsync(AlbumV2, prefix);
        Assert.Equal(Row(("id", "a"), ("name", "B"), ("owner", "me"), ("likes", 2L)), await again.Db.GetAsync(again.T("album"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Extending_a_table_in_the_same_registry_merges_columns()
    {
        await using var t = await Target.OpenAsync((tables, prefix) =>
        {
            AlbumV1(tables, prefix);
            tables.Add(prefix + "album", b => b.Column("gender", pub: true).Column("salary", ColumnType.Int));
        });
        Assert.Equal(["id", "name", "mtime", "gender", "salary"], t.Db.Table(t.T("album")).Columns.Select(c => c.Name));
        await t.Db.PutAsync(t.T("album"), Row(("id", "a"), ("salary", "100"), ("gender", "f")), Ct);
        Assert.Equal(Row(("id", "a"), ("salary", 100L), ("gender", "f")), await t.Db.GetAsync(t.T("album"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task Tables_and_indexes_with_similar_or_long_names_do_not_collide()
    {
        const string longName = "a_rather_long_table_name_for_index_names";
        await using var t = await Target.OpenAsync((tables, prefix) => tables
            .Add(prefix + "a_b", b => b.Column("id", primary: true).Column("c", index: 1))
            .Add(prefix + "a", b => b.Column("id", primary: true).Column("b_c", index: 1))
            .Add(prefix + longName, b => b.Column("id", primary: true).Column("a_long_indexed_column_name_one", index: 1).Column("a_long_indexed_column_name_two", index: 2)));
        await t.Db.PutAsync(t.T("a_b"), Row(("id", "1"), ("c", "x")), Ct);
        await t.Db.PutAsync(t.T("a"), Row(("id", "2"), ("b_c", "x")), Ct);
        await t.Db.PutAsync(t.T(longName), Row(("id", "3"), ("a_long_indexed_column_name_one", "x"), ("a_long_indexed_column_name_two", "y")), Ct);
        Assert.Equal("1", Assert.Single((await t.Db.SelectAsync(t.T("a_b"), Row(("c", "x")), Ct)).Rows)["id"]);
        Assert.Equal("2", Assert.Single((await t.Db.SelectAsync(t.T("a"), Row(("b_c", "x")), Ct)).Rows)["id"]);
        Assert.Equal("3", Assert.Single((await t.Db.SelectAsync(t.T(longName), Row(("a_long_indexed_column_name_two", "y")), Ct)).Rows)["id"]);
    }
}
