using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backend.Metrics;

/// <summary>Records every request into <see cref="StatsCollector"/> (<c>api</c>: in progress, and time per route
/// pattern) directly, first of all in the pipeline, rather than by listening to ASP.NET Core's
/// <c>http.server.request.duration</c> and <c>http.server.active_requests</c>: enabling those makes ASP.NET Core do
/// per-request work of its own (a tags feature, endpoint metadata lookups, <c>HttpContext.Items</c>, a five-tag list)
/// that cost more than the statistics themselves (bench/README.md, "Metrics cost"). Those instruments stay for
/// OpenTelemetry and <c>-prometheus-port</c>, which enable them when they listen. Two timestamps, an interlocked count
/// and the route's per-core figures; no allocation.</summary>
internal sealed class RequestStatsMiddleware(RequestDelegate next, StatsCollector stats)
{
    public Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        stats.RequestStarted();
        Task task;
        try
        {
            task = next(context);
        }
        catch
        {
            End(context, start);
            throw;
        }
        if (!task.IsCompletedSuccessfully) return Awaited(task, context, start);
        End(context, start);
        return Task.CompletedTask;
    }

    private async Task Awaited(Task task, HttpContext context, long start)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        finally
        {
            End(context, start);
        }
    }

    // The route pattern, as ASP.NET Core's http.route tag has it for these endpoints; "" when none matched (404s,
    // static files), which count in the API's total only.
    private void End(HttpContext context, long start) =>
        stats.RequestEnded((context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "", Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}

/// <summary>Puts <see cref="RequestStatsMiddleware"/> in front of the pipeline (the app's own middleware included).
/// Registered after the Prometheus endpoint's filter, so a scrape on <c>-prometheus-port</c> is not counted.</summary>
internal sealed class RequestStatsStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<RequestStatsMiddleware>();
        next(app);
    };
}
