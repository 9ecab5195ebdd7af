namespace Backend.Data;

/// <summary>The read-retry policy of the <see cref="Db"/> facade: a read (Get, Select, List, Search) that answers 503 (the
/// database unreachable or busy) is tried twice more, after 50 and 200 ms; writes are never retried (a write that
/// timed out may have happened). A call that completed at once (an in-process driver) costs no extra async layer.</summary>
internal static class DbReadRetry
{
    /// <summary>Attempts after the first one.</summary>
    public const int Retries = 2;

    /// <summary>Runs one request on its driver, with the retry policy when it is a read.</summary>
    public static Task<DbResult> Run(IDbDriver driver, DbRequest request, CancellationToken cancellationToken, Metrics.DbMeter? meter = null)
    {
        var first = Start(driver, request, cancellationToken, meter);
        // A call that already succeeded (an in-process driver), or a write (never retried), is returned as it is: no
        // extra async layer and task.
        return first.IsCompletedSuccessfully || !IsRead(request) ? first : Retry(driver, request, first, meter, cancellationToken);
    }

    /// <summary>True for the operations that change nothing, so trying them again is safe.</summary>
    public static bool IsRead(DbRequest request) =>
        request.Operation is DbOperation.Get or DbOperation.Select or DbOperation.List or DbOperation.Search;

    /// <summary>The driver's task for one attempt; an exception thrown before it returns becomes a faulted task.</summary>
    public static Task<DbResult> Start(IDbDriver driver, DbRequest request, CancellationToken cancellationToken, Metrics.DbMeter? meter = null)
    {
        var started = meter?.Start(driver) ?? 0;
        Task<DbResult> task;
        try
        {
            task = driver.ExecuteAsync(request, cancellationToken);
        }
        catch (Exception ex)
        {
            task = Task.FromException<DbResult>(ex);
        }
        return started == 0 ? task : meter!.Track(driver, request, task, started);
    }

    private static async Task<DbResult> Retry(IDbDriver driver, DbRequest request, Task<DbResult> first, Metrics.DbMeter? meter, CancellationToken cancellationToken)
    {
        try
        {
            return await first;
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable)
        {
            return await RetryAfter503(driver, request, cancellationToken, meter);
        }
    }

    /// <summary>The further attempts of a read whose first attempt answered 503, each after a longer pause.</summary>
    public static async Task<DbResult> RetryAfter503(IDbDriver driver, DbRequest request, CancellationToken cancellationToken, Metrics.DbMeter? meter = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            await Task.Delay(50 * attempt * attempt, cancellationToken);
            meter?.Retry(driver);
            try
            {
                return await Start(driver, request, cancellationToken, meter);
            }
            catch (DbException ex) when (ex.Kind == DbErrorKind.Unavailable && attempt < Retries)
            {
                // the next attempt, after a longer pause
            }
        }
    }
}
