using Backend.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Backend.Http;

/// <summary>Turns every failure into the JSON error shape: API and database errors keep their status, a body over
/// the size limit is 413, anything unexpected is logged and answered 500 without details. Empty error replies from
/// the framework (404, 405) get a JSON body too. No stack trace ever reaches a client.</summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            var r = context.Response;
            if (r.StatusCode >= 400 && !r.HasStarted && r.ContentLength is null && r.ContentType is null)
                await JsonReply.Error(context, r.StatusCode, DefaultMessage(r.StatusCode));
        }
        catch (ApiException ex)
        {
            await Fail(context, ex.Status, ex.Message);
        }
        catch (DbException ex) when (ex.Status < 500)
        {
            await Fail(context, ex.Status, ex.Message);
        }
        catch (DbException ex) when (ex.Status == DbTimeout.Status)
        {
            // A call stopped at its time limit: the driver logged it in one line, and the message is written for clients.
            await Fail(context, ex.Status, ex.Message);
        }
        catch (DbException ex)
        {
            LogDbError(logger, context.Request.Path, ex);
            // 503 (database unreachable) and 501 (operation not supported by this driver) carry messages written for
            // clients; anything else may hold driver internals.
            var known = ex.Status is 503 or 501;
            await Fail(context, known ? ex.Status : 500, known ? ex.Message : "Database error");
        }
        catch (BadHttpRequestException ex)
        {
            await Fail(context, ex.StatusCode, ex.StatusCode == 413 ? "Request body too large" : "Bad request");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away; nothing to answer
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, context.Request.Path, ex);
            await Fail(context, 500, "Internal error");
        }
    }

    private static Task Fail(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.Clear();
        return JsonReply.Error(context, status, message);
    }

    private static string DefaultMessage(int status) => status switch
    {
        401 => "Not authenticated",
        403 => "Access denied",
        404 => "Not found",
        405 => "Method not allowed",
        413 => "Request body too large",
        _ => "Error",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "unhandled error on {Path}")]
    private static partial void LogUnhandled(ILogger logger, PathString path, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "database error on {Path}")]
    private static partial void LogDbError(ILogger logger, PathString path, Exception ex);
}
