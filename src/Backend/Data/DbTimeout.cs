using Microsoft.Extensions.Logging;

namespace Backend.Data;

/// <summary>The time limit of a pool's calls (<c>-db-timeout</c>, overridden per pool by <c>-db-POOL-timeout</c>) and
/// what a call that runs past it answers: a <see cref="DbErrorKind.Timeout"/> (HTTP 504) with a fixed message, and one warning line in the log (no stack trace).
/// A 504 is not a 503, so the facade does not retry it: running an expensive statement again would only multiply its
/// cost. See docs/db.md, "Timeouts and cancellation".</summary>
public static partial class DbTimeout
{
    /// <summary>The message of that error (fixed: it is shown to API clients).</summary>
    public const string Message = "database timeout: the statement ran longer than the time limit";

    /// <summary>The default time limit of a call in milliseconds (<c>-db-timeout</c>).</summary>
    public const int DefaultMs = 30_000;

    /// <summary>A time limit in the unit of the ADO.NET client libraries' command timeout: whole seconds, rounded up.</summary>
    public static int Seconds(int timeoutMs) => (int)Math.Max(1, ((long)timeoutMs + 999) / 1000);

    /// <summary>The error of a call its driver stopped at the time limit, logged as one line.</summary>
    public static DbException Exceeded(ILogger logger, string pool, DbRequest? request, int timeoutMs, Exception? inner = null)
    {
        LogExceeded(logger, pool, request?.Operation.ToString() ?? "init", request?.Table.Name ?? "", timeoutMs);
        return new DbException(DbErrorKind.Timeout, Message, inner);
    }

    /// <summary>The error of a statement the database server cancelled on its own (its own statement time limit, or an
    /// operator's cancel), logged as one line with the server's message.</summary>
    public static DbException CancelledByServer(ILogger logger, string pool, DbRequest? request, string error, Exception? inner = null)
    {
        LogCancelledByServer(logger, pool, request?.Operation.ToString() ?? "init", request?.Table.Name ?? "", error);
        return new DbException(DbErrorKind.Timeout, Message, inner);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pool}: {Operation} {Table} stopped at the time limit of {TimeoutMs} ms")]
    private static partial void LogExceeded(ILogger logger, string pool, string operation, string table, int timeoutMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pool}: {Operation} {Table} cancelled by the database server: {Error}")]
    private static partial void LogCancelledByServer(ILogger logger, string pool, string operation, string table, string error);
}
