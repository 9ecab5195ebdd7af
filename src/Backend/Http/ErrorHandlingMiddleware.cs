using Backend.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Backend.Http;

/// <summary>Turns every failure into the JSON error shape: API and database errors keep their status, a body over
/// the size limit is 413, anything unexpected is answered 500 without details. Empty error replies from the framework
/// (404, 405) get a JSON body too. No stack trace ever reaches a client.
/// Logging: an error the client caused (4xx) is one short line at Debug level, never a stack trace; a database that
/// is unavailable (503) is one Warning line; a genuine fault is logged with its stack trace, at most
/// <see cref="FaultLog.MaxPerWindow"/> a minute (<see cref="FaultLog"/>), so a flood of requests cannot flood the log.</summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger, FaultLog faults)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (RequestLimits.Check(context) is { } rejected)
        {
            await ClientError(context, rejected.Status, rejected.Message);
            return;
        }
        try
        {
            await next(context);
            var r = context.Response;
            if (r.StatusCode >= 400 && !r.HasStarted && r.ContentLength is null && r.ContentType is null)
                await JsonReply.Error(context, r.StatusCode, DefaultMessage(r.StatusCode));
        }
        catch (ApiException ex)
        {
            await ClientError(context, ex.Status, ex.Message);
        }
        catch (DbException ex) when (DbErrorStatus.Of(ex.Kind) < 500)
        {
            await ClientError(context, DbErrorStatus.Of(ex.Kind), ex.Message);
        }
        catch (DbException ex) when (ex.Kind == DbErrorKind.Timeout)
        {
            // A call stopped at its time limit: the driver logged it in one line, and the message is written for clients.
            await Fail(context, DbErrorStatus.Of(ex.Kind), ex.Message);
        }
        catch (DbException ex) when (ex.Kind is DbErrorKind.Unavailable or DbErrorKind.NotSupported)
        {
            // Unavailable, not supported by this driver: messages written for clients, no stack trace needed.
            var status = DbErrorStatus.Of(ex.Kind);
            if (ex.Kind == DbErrorKind.Unavailable && logger.IsEnabled(LogLevel.Warning) && faults.TryLog($"{status} {ex.Message}", out var summary))
            {
                if (summary is not null) LogSuppressed(logger, summary);
                var path = FaultLog.SafePath(context.Request.Path.Value);
                LogDbUnavailable(logger, status, context.Request.Method, path, ex.Message);
            }
            await Fail(context, status, ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            var message = ex.StatusCode == 413 ? "Request body too large" : "Bad request";
            await ClientError(context, ex.StatusCode, message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away; nothing to answer
        }
        catch (Exception ex)
        {
            Fault(context, ex);
            await Fail(context, 500, ex is DbException ? "Database error" : "Internal error");
        }
    }

    private Task ClientError(HttpContext context, int status, string message)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var path = FaultLog.SafePath(context.Request.Path.Value);
            LogClientError(logger, status, context.Request.Method, path, message);
        }
        return Fail(context, status, message);
    }

    private void Fault(HttpContext context, Exception ex)
    {
        if (!logger.IsEnabled(LogLevel.Error)) return;
        var path = FaultLog.SafePath(context.Request.Path.Value);
        if (!faults.TryLog($"{ex.GetType().Name} on {path}", out var summary)) return;
        if (summary is not null) LogSuppressed(logger, summary);
        LogUnhandled(logger, context.Request.Method, path, ex);
    }

    private static Task Fail(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.Clear();
        return JsonReply.Error(context, status, message);
    }

    private static string DefaultMessage(int status) => status switch
    {
        400 => "Bad request",
        401 => "Not authenticated",
        403 => "Access denied",
        404 => "Not found",
        405 => "Method not allowed",
        413 => "Request body too large",
        414 => "URI too long",
        431 => "Request headers too large",
        _ => "Error",
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Status} {Method} {Path}: {Reason}")]
    private static partial void LogClientError(ILogger logger, int status, string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Status} {Method} {Path}: {Reason}")]
    private static partial void LogDbUnavailable(ILogger logger, int status, string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Summary}")]
    private static partial void LogSuppressed(ILogger logger, string summary);
}
