using System.Globalization;
using Backend.Data;
using Backend.Hosting;
using Backend.Postgres;
using Backend.Tests.Conformance;

namespace Backend.Tests.Drivers.Sql;

/// <summary>The SQL driver tests on PostgreSQL, plus what only PostgreSQL does.</summary>
public sealed class PostgresDriverTests(PostgresTarget target) : SqlDriverTests<PostgresTarget>(target)
{
    /// <inheritdoc />
    protected override IDbDriverFactory Factory { get; } = new PostgresDriverFactory();

    /// <inheritdoc />
    protected override string UrlAt(int port) => $"postgresql://postgres@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/backend";

    /// <inheritdoc />
    protected override string IndexNamesSql => "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = @t";

    /// <inheritdoc />
    protected override string ConnectionIdSql => "SELECT pg_backend_pid() AS id";

    /// <inheritdoc />
    protected override string KillSql => "SELECT pg_terminate_backend(CAST(@id AS integer))";

    /// <inheritdoc />
    protected override string SleepSql => "SELECT pg_sleep(@s)";

    private static async Task<Dictionary<string, (string Type, string? Collation)>> Columns(TestDb t, string table) =>
        (await t.Db.QueryAsync(table, new DbNativeQuery(
            "SELECT column_name AS c, data_type AS t, collation_name AS k FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t",
            new Dictionary<string, object?> { ["t"] = table }), Ct)).Rows
        .ToDictionary(r => (string)r["c"]!, r => ((string)r["t"]!, r.GetValueOrDefault("k") as string));

    [Fact]
    public async Task Columns_have_native_types_and_text_sorts_in_the_C_collation()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var columns = await Columns(t, t.T("items"));
        Assert.Equal(("text", "C"), columns["id"]);
        Assert.Equal(("text", "C"), columns["name"]);
        Assert.Equal("bigint", columns["n"].Type);
        Assert.Equal("bigint", columns["hits"].Type);
        Assert.Equal("double precision", columns["score"].Type);
        Assert.Equal("boolean", columns["flag"].Type);
        Assert.Equal("jsonb", columns["doc"].Type);
    }

    [Fact]
    public async Task A_nul_character_is_400_since_postgresql_text_cannot_hold_it()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var text = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("note", "a\0b")), Ct));
        Assert.Equal(400, text.Status);
        var json = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("doc", "{\"s\":\"a\\u0000b\"}")), Ct));
        Assert.Equal(400, json.Status);
        Assert.Null(await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task A_value_too_big_for_an_index_entry_is_400()
    {
        Target.RequireServer();
        await using var t = await Open(Items);
        var random = new Random(7);
        var huge = new string([.. Enumerable.Range(0, 20_000).Select(_ => (char)random.Next(0x4E00, 0x9FFF))]);
        var ex = await Assert.ThrowsAsync<DbException>(() => t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("name", huge)), Ct));
        Assert.Equal(400, ex.Status);
        // the same value in a column without an index is fine
        await t.Db.PutAsync(t.T("items"), Row(("id", "a"), ("note", huge)), Ct);
        Assert.Equal(huge, (await t.Db.GetAsync(t.T("items"), Row(("id", "a")), Ct))!["note"]);
    }

    [Fact]
    public async Task AddPostgres_registers_the_pgsql_pool()
    {
        Target.RequireServer();
        var home = Path.Combine(Target.Home, "app");
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", home, "-log", "none", "-db-pool", "pgsql", "-db-pgsql-pool", Target.Url!]).AddPostgres();
        await using var app = builder.Build();
        var driver = Assert.IsType<PostgresDriver>(app.Db.Pools.Resolve(null, "any"));
        Assert.Equal("pgsql", driver.Name);
    }
}
