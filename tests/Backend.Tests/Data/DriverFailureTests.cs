using Backend.Data;
using Backend.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backend.Tests.Data;

/// <summary>A failure to open a connection must not leave the driver's write lock held.</summary>
public sealed class DriverFailureTests(TempDirectory dir) : IClassFixture<TempDirectory>
{
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

        await Assert.ThrowsAnyAsync<Exception>(() => db.Put(Schemas.Items, Schemas.Row(("id", "a")), null, Ct));

        Directory.Delete(path); // the problem goes away
        await db.InitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);
        await db.Put(Schemas.Items, Schemas.Row(("id", "a")), null, Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.NotNull(await db.Get(Schemas.Items, Schemas.Row(("id", "a")), null, Ct));
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
        await Assert.ThrowsAnyAsync<Exception>(() => db.Get(Schemas.Items, Schemas.Row(("id", "a")), null, Ct));
        await Assert.ThrowsAnyAsync<Exception>(() => db.Get(Schemas.Items, Schemas.Row(("id", "a")), null, Ct)); // reads take no lock
    }
}
