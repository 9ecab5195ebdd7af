using Backend.Configuration;
using Backend.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Backend.Hosting;

namespace Backend.Tests.Conformance;

/// <summary>One database the conformance suite runs against. A target finds its server (environment variable
/// <c>BKCS_TEST_POOL_URL_{SERVER}</c>, else the line scripts/servers wrote to <c>$BKCS_SERVERS_DIR/servers.env</c>),
/// creates drivers through the same factory the server uses, and gives every test its own table names, so tests
/// never see each other's rows. A missing server skips the tests, except under CI=true where it fails them.</summary>
public abstract class DbTarget : IAsyncLifetime
{
    private static int _counter;

    /// <summary>Pool name: sqlite, pgsql, mysql, dynamodb, redis.</summary>
    public abstract string Pool { get; }

    /// <summary>The server's name in scripts/servers (its line in servers.env): the pool name, unless the pool has
    /// several test servers (dynamodb-local is DynamoDB Local for the dynamodb pool).</summary>
    public virtual string Server => Pool;

    /// <summary>The driver factory of the pool.</summary>
    protected abstract IDbDriverFactory Factory { get; }

    /// <summary>The pool URL, or null when no server is configured.</summary>
    public string? Url { get; private set; }

    /// <summary>A temporary home for drivers that keep files (SQLite).</summary>
    public string Home { get; } = Path.Combine(Path.GetTempPath(), "bkcs-conf-" + Guid.NewGuid().ToString("N"));

    /// <summary>Finds the server URL; SQLite overrides this with a file in <see cref="Home"/>.</summary>
    protected virtual string? FindUrl() => ServerUrls.Find(Server);

    /// <inheritdoc />
    public virtual ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Home);
        Url = FindUrl();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // a driver may still hold a file for a moment; the temp folder is cleaned by the OS later
        }
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Skips (or under CI fails) when the server is not there.</summary>
    public void RequireServer()
    {
        if (Url is not null) return;
        var why = $"no {Server} server: run scripts/servers start {Server} (or set {ServerUrls.Variable(Server)})";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
    }

    /// <summary>A new driver over the target's database (each call a new pool, as a second process would have).</summary>
    public IDbDriver CreateDriver(params string[] extraArgs)
    {
        RequireServer();
        var args = new List<string> { "-home", Home, "-log", "none", $"-db-{Pool}-pool", Url! };
        args.AddRange(extraArgs);
        var config = BackendConfig.Load(args, ConfigRegistry.CreateDefault(), new Dictionary<string, string>());
        return Factory.Create(BackendApplicationBuilder.PoolSettings(config, Factory.Kind, Url!), NullLoggerFactory.Instance);
    }

    /// <summary>A Db over a fresh set of tables: <paramref name="describe"/> gets the registry and a unique prefix
    /// to put in front of every table name.</summary>
    public async Task<TestDb> OpenAsync(Action<TableRegistry, string> describe, IDbDriver? driver = null)
    {
        ArgumentNullException.ThrowIfNull(describe);
        var prefix = $"c{Interlocked.Increment(ref _counter)}{Guid.NewGuid().ToString("N")[..6]}_";
        return await OpenWithPrefixAsync(describe, prefix, driver);
    }

    /// <summary>A Db over tables with a given prefix (to reopen the same tables, e.g. for schema upgrades).</summary>
    public async Task<TestDb> OpenWithPrefixAsync(Action<TableRegistry, string> describe, string prefix, IDbDriver? driver = null)
    {
        ArgumentNullException.ThrowIfNull(describe);
        driver ??= CreateDriver();
        var tables = new TableRegistry();
        describe(tables, prefix);
        var pools = new DbPools(Pool);
        pools.Add(driver);
        var db = new Db(tables, pools);
        await db.InitAsync(TestContext.Current.CancellationToken);
        return new TestDb(db, prefix);
    }
}

/// <summary>A Db over one test's tables.</summary>
public sealed class TestDb(Db db, string prefix) : IAsyncDisposable
{
    /// <summary>The facade.</summary>
    public Db Db { get; } = db;

    /// <summary>The test's table prefix.</summary>
    public string Prefix { get; } = prefix;

    /// <summary>The full name of one of the test's tables.</summary>
    public string T(string name) => Prefix + name;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Db.Pools.DisposeAsync();
}

/// <summary>Where the test servers are: an explicit environment variable, else scripts/servers' servers.env.</summary>
public static class ServerUrls
{
    /// <summary>The environment variable that overrides a server's URL: <c>BKCS_TEST_POOL_URL_</c> and the server's name
    /// in upper case, '-' as '_' (BKCS_TEST_POOL_URL_DYNAMODB_LOCAL).</summary>
    public static string Variable(string server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return "BKCS_TEST_POOL_URL_" + server.ToUpperInvariant().Replace('-', '_');
    }

    /// <summary>The URL of a server (a pool name, or a scripts/servers name such as dynamodb-local), or null.</summary>
    public static string? Find(string pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (Environment.GetEnvironmentVariable(Variable(pool)) is { Length: > 0 } url) return url;
        var dir = Environment.GetEnvironmentVariable("BKCS_SERVERS_DIR") is { Length: > 0 } d ? d : "/tmp/backendcs-servers";
        var file = Path.Combine(dir, "servers.env");
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && parts[0] == pool) return parts[2];
        }
        return null;
    }
}
