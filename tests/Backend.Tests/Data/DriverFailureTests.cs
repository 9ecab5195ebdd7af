using Backend.Data;
using Backend.Data.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Data;

/// <summary>A failure to open a connection must not leave the driver's write lock held.</summary>
public sealed class DriverFailureTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
    private const int SqliteCantOpen = 14;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failed_open_does_not_block_later_writes()
    {
        var path = dir.NewFile("unopenable");
        Directory.CreateDirectory(path); // a directory where the database file should be: opening fails
        var tables = new TableRegistry();
        Schemas.All(tables);
        await using var pools = new DbPools("sqlite");
        pools.Add(new SqliteDriver("sqlite", path, 30000, NullLogger<SqliteDriver>.Instance));
        var db = new Db(tables, pools);

        // The driver's own error for the failed open (SQLITE_CANTOPEN), not some other exception on the way.
        var failed = await Assert.ThrowsAsync<DbException>(() => db.PutAsync(Schemas.Items, Schemas.Row(("id", "a")), Ct));
        Assert.Equal(SqliteCantOpen, Assert.IsType<SqliteException>(failed.InnerException).SqliteErrorCode);

        Directory.Delete(path); // the problem goes away
        await db.InitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);
        await db.PutAsync(Schemas.Items, Schemas.Row(("id", "a")), Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.NotNull(await db.GetAsync(Schemas.Items, Schemas.Row(("id", "a")), Ct));
    }

    [Fact]
    public async Task A_failed_open_is_reported_not_swallowed()
    {
        var path = dir.NewFile("unopenable");
        Directory.CreateDirectory(path);
        var tables = new TableRegistry();
        Schemas.All(tables);
        await using var pools = new DbPools("sqlite");
        pools.Add(new SqliteDriver("sqlite", path, 30000, NullLogger<SqliteDriver>.Instance));
        var db = new Db(tables, pools);
        for (var i = 0; i < 2; i++) // twice: reads take no lock, and the second read must be reported the same way
        {
            var ex = await Assert.ThrowsAsync<DbException>(() => db.GetAsync(Schemas.Items, Schemas.Row(("id", "a")), Ct).AsTask());
            Assert.Equal(500, ex.Status);
            Assert.StartsWith("sqlite: Get items failed: ", ex.Message, StringComparison.Ordinal);
            Assert.Contains("unable to open database file", ex.Message, StringComparison.Ordinal);
            Assert.Equal(SqliteCantOpen, Assert.IsType<SqliteException>(ex.InnerException).SqliteErrorCode);
        }
    }
}
