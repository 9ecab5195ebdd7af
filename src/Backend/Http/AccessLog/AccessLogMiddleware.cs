using Backend.Http.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Backend.Http.AccessLog;

/// <summary>Puts one entry per request into the access log's queue once the rest of the pipeline is done with it: two
/// timestamps, references to what the request already holds, one non-blocking TryWrite; nothing is formatted or
/// written here (<see cref="AccessLogWriter"/> does that in the background).
/// <para>Two places in the pipeline: first of all (an <see cref="Microsoft.AspNetCore.Hosting.IStartupFilter"/>, so
/// whatever the app put before the backend's middleware is logged too; a WebSocket upgrade is one line with status 101
/// when the socket closes), and right after the WebSocket middleware with <c>messagesOnly</c>, where it logs each
/// WebSocket message, which runs as a GET of its own and never passes the first.</para></summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLogQueue queue, TimeProvider time, bool messagesOnly)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (messagesOnly && context.Features.Get<WebSocketConnection>() is null) return next(context);
        var start = time.GetTimestamp();
        Task task;
        try
        {
            task = next(context);
        }
        catch
        {
            Record(context, start, failed: true);
            throw;
        }
        if (!task.IsCompletedSuccessfully) return Awaited(task, context, start);
        Record(context, start, failed: false);
        return Task.CompletedTask;
    }

    private async Task Awaited(Task task, HttpContext context, long start)
    {
        try
        {
            await task;
        }
        catch
        {
            Record(context, start, failed: true);
            throw;
        }
        Record(context, start, failed: false);
    }

    private void Record(HttpContext context, long start, bool failed)
    {
        var request = context.Request;
        var response = context.Response;
        queue.Add(new AccessLogEntry(
            start,
            time.GetTimestamp(),
            context.Connection.RemoteIpAddress,
            request.Method,
            context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/",
            request.Protocol,
            // An exception that got past the error handler: the server answers 500 if nothing was sent yet.
            failed && !response.HasStarted ? StatusCodes.Status500InternalServerError : response.StatusCode,
            response.ContentLength ?? -1,
            request.Headers.Referer,
            request.Headers.UserAgent,
            context.Features.Get<ApiRequest>()?.AccountId));
    }
}
