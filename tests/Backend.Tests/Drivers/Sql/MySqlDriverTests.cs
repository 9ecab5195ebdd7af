using System.Globalization;
using Backend.Data;
using Backend.Hosting;
using Backend.MySql;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.Sql;

/// <summary>The SQL driver tests on MySQL/MariaDB, plus what only MySQL does.</summary>
public sealed class MySqlDriverTests(MySqlTarget target) : SqlDriverTests<MySqlTarget>(target)
{
    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new MySqlDriverFactory();

    /// <inheritdoc />
    protected override string UrlAt(int port) => $"mysql://backend:backend@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/backend";

    /// <inheritdoc />
    protected override string IndexNamesSql => "SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t";

    /// <inheritdoc />
    protected override string ConnectionIdSql => "SELECT CONNECTION_ID() AS id";

    /// <inheritdoc />
    protected override string KillSql => "KILL @id";

    /// <inheritdoc />
    protected override string SleepSql => "SELECT SLEEP(@s)";

    private static async Task<Dictionary<string, (string Type, string? Collation)>> Columns(TestDb t, string table) =>
        (await t.Db.QueryAsync(table, new DbNativeQuery(
            "SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t, COLLATION_NAME AS k FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @t",
            new Dictionary<string, object?> { ["t"] = table }), Ct)).Rows
        .ToDictionary(r => Convert.ToString(r["c"], CultureInfo.InvariantCulture)!, r => (Convert.ToString(r["t"], CultureInfo.InvariantCulture)!, r.GetValueOrDefault("k") as string));

    [Fact]
    public async Task Key_and_indexed_text_is_varchar_other_text_longtext_all_in_a_binary_no_pad_collation()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var columns = await Columns(t, t.T("items"));
        Assert.Equal("varchar(255)", columns["id"].Type);
        Assert.Equal("varchar(255)", columns["name"].Type);
        Assert.Equal("longtext", columns["note"].Type);
        Assert.Equal("longtext", columns["doc"].Type);
        Assert.StartsWith("bigint", columns["n"].Type, StringComparison.Ordinal);
        Assert.StartsWith("double", columns["score"].Type, StringComparison.Ordinal);
        Assert.Equal("tinyint(1)", columns["flag"].Type);
        Assert.All(new[] { "id", "name", "note", "doc" }, c => Assert.Matches("^utf8mb4_(0900_|nopad_)bin$", columns[c].Collation));
    }

    [Fact]
    public async Task A_composite_key_of_four_text_columns_fits_the_key_limit()
    {
        Target.RequireServer();
        await using var t = await Open((tables, p) => tables.Add(p + "quad", b => b
            .Column("a", primary: true).Column("b", primary: true).Column("c", primary: true).Column("d", primary: true).Column("v", index: 1)));
        var columns = await Columns(t, t.T("quad"));
        Assert.Equal("varchar(192)", columns["a"].Type);
        Assert.Equal("varchar(255)", columns["v"].Type);
        var key = new string('k', 192);
        await t.Db.PutAsync(t.T("quad"), Row(("a", key), ("b", key), ("c", key), ("d", key), ("v", "x")), Ct);
        Assert.Equal("x", (await t.Db.GetAsync(t.T("quad"), Row(("a", key), ("b", key), ("c", key), ("d", key)), Ct))!["v"]);
    }

    [Fact]
    public async Task A_key_or_indexed_value_over_255_characters_is_400_and_nothing_is_written()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var ok = new string('é', 255);
        await t.Db.PutAsync(t.T("items"), Row(("id", ok), ("name", ok)), Ct);
        Assert.Equal(ok, (await t.Db.GetAsync(t.T("items"), Row(("id", ok)), Ct))!["name"]);
        var key = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", ok + "x")), Ct));
        Assert.Equal(400, key.Status);
        var indexed = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "b"), ("name", ok + "x")), Ct));
        Assert.Equal(400, indexed.Status);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "b")), Ct));
    }

    [Fact]
    public async Task AddMySql_registers_the_mysql_pool()
    {
        Target.RequireServer();
        var home = Path.Combine(Target.Home, "app");
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", home, "-log", "none", "-db-pool", "mysql", "-db-mysql-pool", Target.Url!]).AddMySql();
        await using var app = builder.Build();
        var driver = Assert.IsType<MySqlDriver>(app.Db.Pools.Resolve(null, "any"));
        Assert.Equal("mysql", driver.Name);
    }
}
