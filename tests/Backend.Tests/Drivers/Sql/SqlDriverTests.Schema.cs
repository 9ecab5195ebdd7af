using Backend.Data;
using Backend.Data.Sql;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Table creation and upgrades: new columns and indexes on existing tables, idempotent and safe when
/// several processes initialise at once.</summary>
public abstract partial class SqlDriverTests<TTarget>
{
    private static void AlbumV1(TableRegistry tables, string prefix) => tables.Add(prefix + "album", t => t
        .Column("id", primary: true)
        .Column("name")
        .Column("mtime", ColumnType.BigInt, now: true));

    private static void AlbumV2(TableRegistry tables, string prefix) => tables.Add(prefix + "album", t => t
        .Column("id", primary: true)
        .Column("name", index: 2)
        .Column("mtime", ColumnType.BigInt, now: true)
        .Column("rating", ColumnType.Real)
        .Column("tags", ColumnType.Json)
        .Column("owner", index: 1)
        .Column("public", ColumnType.Bool)
        .Column("likes", ColumnType.Counter));

    /// <summary>The index names of a table, read through the driver's Query.</summary>
    protected async Task<List<string>> IndexNames(Db db, string table) =>
        [.. (await db.QueryAsync(table, new DbNativeQuery(IndexNamesSql, new Dictionary<string, object?> { ["t"] = table }), Ct)).Rows.Select(r => Convert.ToString(r["name"], System.Globalization.CultureInfo.InvariantCulture)!)];

    [Fact]
    public async Task A_new_description_adds_columns_and_indexes_to_an_existing_table_and_keeps_its_rows()
    {
        Target.RequireServer();
        string prefix;
        await using (var v1 = await Target.OpenAsync(AlbumV1))
        {
            prefix = v1.Prefix;
            await v1.Db.PutAsync(v1.T("album"), Row(("id", "a1"), ("name", "First")), Ct);
            await v1.Db.PutAsync(v1.T("album"), Row(("id", "a2"), ("name", "Second")), Ct);
        }
        await using var v2 = await Target.OpenWithPrefixAsync(AlbumV2, prefix);
        var table = v2.T("album");
        var schema = v2.Db.Table(table);
        var indexes = await IndexNames(v2.Db, table);
        Assert.Contains(schema.IndexName(["owner"]), indexes);
        Assert.Contains(schema.IndexName(["name"]), indexes);

        var old = (await v2.Db.GetAsync(table, Row(("id", "a1")), Ct))!;
        Assert.Equal("First", old["name"]);
        Assert.False(old.ContainsKey("rating"));
        await v2.Db.UpdateAsync(table, Row(("id", "a1"), ("rating", 4.5), ("tags", "[\"x\"]"), ("owner", "u1"), ("public", true)), Ct);
        await v2.Db.IncrAsync(table, Row(("id", "a1"), ("likes", 3)), Ct);
        var row = (await v2.Db.GetAsync(table, Row(("id", "a1")), Ct))!;
        Assert.Equal(4.5, row["rating"]);
        Assert.Equal(true, row["public"]);
        Assert.Equal(3L, row["likes"]);
        Assert.Equal(["a1"], Ids(await v2.Db.SelectAsync(table, Row(("owner", "u1")), Ct)));
        Assert.Equal(["a2"], Ids(await v2.Db.SelectAsync(table, Row(("name", "Second")), Ct)));

        // initialising again changes nothing and fails nothing
        await v2.Db.InitAsync(Ct);
        await using var again = await Target.OpenWithPrefixAsync(AlbumV2, prefix);
        Assert.Equal(indexes.Order(), (await IndexNames(again.Db, table)).Order());
        Assert.Equal(2, (await again.Db.SelectAsync(table, null, Ct)).Rows.Count);
    }

    [Fact]
    public async Task Several_processes_initialising_the_same_tables_at_once_all_succeed()
    {
        Target.RequireServer();
        var prefix = $"p{Guid.NewGuid().ToString("N")[..10]}_";
        await using (var v1 = await Target.OpenWithPrefixAsync(AlbumV1, prefix))
            await v1.Db.PutAsync(v1.T("album"), Row(("id", "a1")), Ct);
        // eight pools (as eight processes would have) create new tables and upgrade an existing one concurrently
        void Both(TableRegistry tables, string p)
        {
            AlbumV2(tables, p);
            All(tables, p);
        }
        var opened = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Target.OpenWithPrefixAsync(Both, prefix), Ct)));
        try
        {
            Assert.NotNull(await opened[0].Db.GetAsync(prefix + "album", Row(("id", "a1")), Ct));
            await opened[3].Db.PutAsync(prefix + "items", Row(("id", "x"), ("name", "n")), Ct);
            Assert.Equal(["x"], Ids(await opened[5].Db.SelectAsync(prefix + "items", Row(("name", "n")), Ct)));
        }
        finally
        {
            foreach (var t in opened) await t.DisposeAsync();
        }
    }

    [Fact]
    public async Task Table_and_column_names_that_are_sql_keywords_work()
    {
        Target.RequireServer();
        await using var t = await Open((tables, p) => tables.Add(p + "order", b => b
            .Column("select", primary: true)
            .Column("from", ColumnType.Int, index: 1)
            .Column("group", ColumnType.Counter)
            .Column("key")));
        await t.Db.PutAsync(t.T("order"), Row(("select", "s"), ("from", 1), ("key", "k")), Ct);
        await t.Db.IncrAsync(t.T("order"), Row(("select", "s"), ("group", 2)), Ct);
        Assert.Equal(Row(("select", "s"), ("from", 1L), ("group", 2L), ("key", "k")),
            (await t.Db.SelectAsync(t.T("order"), Row(("from", 1)), new DbOptions { Sort = "key", Count = 5 }, Ct)).Rows.Single());
    }
}
