using Backend.Data;
using Backend.Data.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Data;

/// <summary>A temporary directory shared by the tests of one class (an xunit class fixture); every test opens its own
/// database file inside it, and the directory is deleted when the class is done.</summary>
public sealed class TempDirectory : IDisposable
{
    private int _files;

    public TempDirectory() => Root = Directory.CreateTempSubdirectory("bkcs-db-").FullName;

    public string Root { get; }

    /// <summary>A path for a fresh database file (not created yet).</summary>
    public string NewFile(string prefix = "test") =>
        Path.Combine(Root, $"{prefix}-{Interlocked.Increment(ref _files)}.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>A real SQLite file behind the Db facade: driver + pools + registry + Db, initialised.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string path, TableRegistry tables, DbPools pools, SqliteDriver driver)
    {
        Path = path;
        Tables = tables;
        Pools = pools;
        Driver = driver;
        Db = new Db(tables, pools);
    }

    public string Path { get; }

    public TableRegistry Tables { get; }

    public DbPools Pools { get; }

    public SqliteDriver Driver { get; }

    public Db Db { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens (creating) the file, describes the tables and runs <see cref="Db.InitAsync"/>.</summary>
    public static async Task<TestDatabase> OpenAsync(string path, Action<TableRegistry> describe)
    {
        var tables = new TableRegistry();
        describe(tables);
        var pools = new DbPools("sqlite");
        var driver = new SqliteDriver("sqlite", path, 30000, NullLogger<SqliteDriver>.Instance);
        pools.Add(driver);
        var db = new TestDatabase(path, tables, pools, driver);
        await db.Db.InitAsync(Ct);
        return db;
    }

    public ValueTask DisposeAsync() => Pools.DisposeAsync();

    /// <summary>Runs a query on a separate plain connection (to look at the file independently of the driver).</summary>
    public static List<object?[]> Query(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Names of the indexes SQLite has on a table (excluding its automatic primary-key index).</summary>
    public static List<string> IndexNames(string path, string table) =>
        [.. Query(path, $"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL ORDER BY name")
            .Select(r => (string)r[0]!)];

    /// <summary>Column names of a table as SQLite reports them.</summary>
    public static List<string> ColumnNames(string path, string table) =>
        [.. Query(path, $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid").Select(r => (string)r[0]!)];
}
