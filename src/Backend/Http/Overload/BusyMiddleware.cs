using Backend.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Backend.Http.Overload;

/// <summary>Refuses a new request at once, <c>{"status":503,"message":"Server is too busy"}</c> with
/// <c>Retry-After: 1</c>, while <see cref="BusyMonitor.Busy"/> (<c>-api-busy-latency</c>) or when
/// <c>-api-max-requests</c> requests are in progress; each refusal counts on <c>backend.api.busy</c> (<c>busy</c> in
/// <c>/system/stats/get</c>). Requests already running are not affected. When neither applies it costs one volatile
/// read and a field test. Placed after the WebSocket middleware, so every HTTP request and every WebSocket message
/// passes it (a WebSocket upgrade is a connection, bounded by <c>-ws-max-connections</c>).</summary>
internal sealed class BusyMiddleware(RequestDelegate next, BusyMonitor monitor, BackendMetrics metrics, IOptions<OverloadOptions> options)
{
    public const string Message = "Server is too busy";

    private readonly long _maxRequests = options.Value.MaxRequests;
    private int _inProgress;

    /// <summary>Requests in progress (counted only with <c>-api-max-requests</c>).</summary>
    public int InProgress => Volatile.Read(ref _inProgress);

    public Task InvokeAsync(HttpContext context)
    {
        if (monitor.Busy) return Refuse(context);
        return _maxRequests == 0 ? next(context) : Counted(context);
    }

    private async Task Counted(HttpContext context)
    {
        if (Interlocked.Increment(ref _inProgress) > _maxRequests)
        {
            Interlocked.Decrement(ref _inProgress);
            await Refuse(context);
            return;
        }
        try
        {
            await next(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inProgress);
        }
    }

    private Task Refuse(HttpContext context)
    {
        metrics.Busy.Add(1);
        monitor.CountRefused();
        context.Response.Headers.RetryAfter = "1";
        return JsonReply.Error(context, 503, Message);
    }
}
