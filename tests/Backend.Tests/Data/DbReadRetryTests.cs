using Backend.Data;

namespace Backend.Tests.Data;

/// <summary>The facade's read-retry policy (<c>DbReadRetry</c>) on a driver that answers 503 a set number of times:
/// reads are tried three times in all, writes once. A real database cannot be made to fail exactly N times on cue;
/// the same policy against real servers going away is in <c>SqlDriverTests.Failures</c> and the Redis/DynamoDB
/// failure tests.</summary>
public sealed class DbReadRetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Answers 503 to its first <c>failures</c> calls, then one row; counts the calls.</summary>
    private sealed class FlakyDriver(int failures) : IDbDriver
    {
        public int Calls;
        public string Name => "flaky";
        public Task InitTablesAsync(IReadOnlyCollection<TableSchema> tables, CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task<DbResult> ExecuteAsync(DbRequest request, CancellationToken cancellationToken)
        {
            await Task.Yield(); // an answer over the network: not completed synchronously
            if (++Calls <= failures) throw new DbException(DbErrorKind.Unavailable, "flaky: unavailable");
            return new DbResult { Rows = [new DbRow { ["id"] = "a" }], Affected = 1 };
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static (Db Db, FlakyDriver Driver) Open(int failures)
    {
        var tables = new TableRegistry();
        Schemas.All(tables);
        var driver = new FlakyDriver(failures);
        var pools = new DbPools("flaky");
        pools.Add(driver);
        return (new Db(tables, pools), driver);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_read_that_answers_503_is_tried_again_until_it_succeeds(int failures)
    {
        var (db, driver) = Open(failures);
        Assert.NotNull(await db.GetAsync(Schemas.Items, Schemas.Row(("id", "a")), Ct));
        Assert.Equal(failures + 1, driver.Calls);

        (db, driver) = Open(failures);
        Assert.Single((await db.SelectAsync(Schemas.Items, null, Ct)).Rows);
        Assert.Equal(failures + 1, driver.Calls);
    }

    [Fact]
    public async Task A_read_gives_up_after_three_attempts_with_the_drivers_error()
    {
        var (db, driver) = Open(3);
        var ex = await Assert.ThrowsAsync<DbException>(() => db.GetAsync(Schemas.Items, Schemas.Row(("id", "a")), Ct).AsTask());
        Assert.Equal(DbErrorKind.Unavailable, ex.Kind);
        Assert.Equal(3, driver.Calls);
    }

    [Fact]
    public async Task A_write_is_never_tried_again()
    {
        var (db, driver) = Open(1);
        var ex = await Assert.ThrowsAsync<DbException>(() => db.PutAsync(Schemas.Items, Schemas.Row(("id", "a")), Ct));
        Assert.Equal(DbErrorKind.Unavailable, ex.Kind);
        Assert.Equal(1, driver.Calls);
    }
}
