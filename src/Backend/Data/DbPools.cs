namespace Backend.Data;

/// <summary>The configured database pools by name, and which one is the default (<c>-db-pool</c>).</summary>
public sealed class DbPools : IAsyncDisposable
{
    private readonly Dictionary<string, IDbDriver> _pools = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _tablePools = new(StringComparer.Ordinal);

    /// <summary>Creates the set with its default pool name.</summary>
    public DbPools(string defaultPool) => DefaultPool = defaultPool;

    /// <summary>Name of the default pool.</summary>
    public string DefaultPool { get; }

    /// <summary>Adds a pool.</summary>
    public void Add(IDbDriver driver)
    {
        ArgumentNullException.ThrowIfNull(driver);
        _pools[driver.Name] = driver;
    }

    /// <summary>Routes a table to a pool other than the default.</summary>
    public void MapTable(string table, string pool) => _tablePools[table] = pool;

    /// <summary>All pools.</summary>
    public IReadOnlyCollection<IDbDriver> All => _pools.Values;

    /// <summary>The pool for a call: the explicit one, else the table's, else the default.</summary>
    public IDbDriver Resolve(string? pool, string table)
    {
        var name = pool ?? _tablePools.GetValueOrDefault(table) ?? DefaultPool;
        return _pools.TryGetValue(name, out var d) ? d : throw DbException.BadInput($"unknown database pool: {name}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var p in _pools.Values) await p.DisposeAsync();
        _pools.Clear();
    }
}
