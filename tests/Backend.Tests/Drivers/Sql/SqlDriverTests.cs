using Backend.Configuration;
using Backend.Data;
using Backend.Tests.Conformance;
using Microsoft.Extensions.Logging.Abstractions;
using Backend.Hosting;

namespace Backend.Tests.Drivers.Sql;

/// <summary>Tests of the PostgreSQL and MySQL drivers against the real test servers (scripts/servers start pgsql
/// mysql), written once and run per driver by <see cref="PostgresDriverTests"/> and <see cref="MySqlDriverTests"/>.
/// They cover every operation, type, operator and paging case, schema upgrades, concurrency and failures, with the
/// behaviour of the SQLite driver as the reference. Split by area into partial files.</summary>
public abstract partial class SqlDriverTests<TTarget>(TTarget target) : IClassFixture<TTarget>
    where TTarget : DbTarget
{
    /// <summary>The server under test.</summary>
    protected TTarget Target { get; } = target;

    /// <summary>The test's cancellation token.</summary>
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The driver factory (to make drivers with other settings or URLs).</summary>
    protected abstract IDbDriverFactory Factory { get; }

    /// <summary>False for the embedded SQLite reference run, which has no server to lose or connection pool to exhaust.</summary>
    protected virtual bool IsServer => true;

    /// <summary>Skips a test about servers and connection pools on the embedded reference.</summary>
    protected void RequireNetworkServer()
    {
        if (!IsServer) Assert.Skip("no server or connection pool in the embedded database");
    }

    /// <summary>A pool URL pointing at the given local port with the test server's credentials.</summary>
    protected abstract string UrlAt(int port);

    /// <summary>A statement returning the names of a table's indexes as column <c>name</c>; parameter <c>@t</c> is the table.</summary>
    protected abstract string IndexNamesSql { get; }

    /// <summary>A statement returning the server-side id of the connection running it as column <c>id</c>.</summary>
    protected abstract string ConnectionIdSql { get; }

    /// <summary>A statement that ends the server connection whose id is <c>@id</c>.</summary>
    protected abstract string KillSql { get; }

    /// <summary>A statement that keeps its connection busy for about <c>@s</c> seconds.</summary>
    protected abstract string SleepSql { get; }

    /// <summary>One column of each type plus an index on name.</summary>
    protected static void Items(TableRegistry tables, string prefix) => tables.Add(prefix + "items", t => t
        .Column("id", primary: true)
        .Column("name", index: 1)
        .Column("n", ColumnType.Int)
        .Column("big", ColumnType.BigInt)
        .Column("score", ColumnType.Real)
        .Column("flag", ColumnType.Bool)
        .Column("doc", ColumnType.Json)
        .Column("hits", ColumnType.Counter)
        .Column("note"));

    /// <summary>A composite key (text, int).</summary>
    protected static void Pairs(TableRegistry tables, string prefix) => tables.Add(prefix + "pairs", t => t
        .Column("a", primary: true)
        .Column("b", ColumnType.Int, primary: true)
        .Column("v"));

    /// <summary>A table of key columns only.</summary>
    protected static void Tags(TableRegistry tables, string prefix) => tables.Add(prefix + "tags", t => t
        .Column("owner", primary: true)
        .Column("tag", primary: true));

    /// <summary>Every test table.</summary>
    protected static void All(TableRegistry tables, string prefix)
    {
        Items(tables, prefix);
        Pairs(tables, prefix);
        Tags(tables, prefix);
    }

    /// <summary>A row from name/value pairs.</summary>
    protected static DbRow Row(params (string Name, object? Value)[] values)
    {
        var row = new DbRow();
        foreach (var (name, value) in values) row[name] = value;
        return row;
    }

    /// <summary>A Db over the test's own tables in the target's server.</summary>
    protected Task<TestDb> Open(Action<TableRegistry, string>? describe = null) => Target.OpenAsync(describe ?? All);

    /// <summary>A driver made by the factory with the given URL and settings, as the server would make it.</summary>
    protected IDbDriver CreateDriver(string url, params string[] args)
    {
        var all = new List<string> { "-home", Target.Home, "-log", "none", $"-db-{Target.Pool}-pool", url };
        all.AddRange(args);
        var config = BackendConfig.Load(all, ConfigRegistry.CreateDefault(), new Dictionary<string, string>());
        return Factory.Create(BackendApplicationBuilder.PoolSettings(config, Factory.Kind, url), NullLoggerFactory.Instance);
    }

    /// <summary>A Db over one driver and the given tables (no initialisation).</summary>
    protected static Db DbOver(IDbDriver driver, Action<TableRegistry, string> describe, string prefix)
    {
        var tables = new TableRegistry();
        describe(tables, prefix);
        var pools = new DbPools(driver.Name);
        pools.Add(driver);
        return new Db(tables, pools);
    }

    /// <summary>The ids of rows, as longs or strings.</summary>
    protected static List<object?> Ids(DbResult result) => [.. result.Rows.Select(r => r["id"])];
}
