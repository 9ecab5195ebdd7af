using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Prometheus;

namespace Backend.Metrics;

/// <summary>The Prometheus endpoint: every request on <c>-prometheus-port</c> (this process's port of it) is answered
/// here, before anything else of the pipeline (access log, signatures, routes): <c>GET /metrics</c> with the text format
/// (OpenMetrics when Prometheus asks for it) of <see cref="PrometheusExporter"/>'s registry, anything else 404. The API
/// is not served on that port, nor <c>/metrics</c> on the API's. A scrape is left out of the request metrics and
/// statistics, and gets <c>Connection: close</c> once the worker drains, so Prometheus reconnects to its replacement.</summary>
internal sealed class PrometheusStartupFilter(int port, PrometheusExporter exporter, Http.ServerDrain drain) : IStartupFilter
{
    public const string Path = "/metrics";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.MapWhen(context => context.Connection.LocalPort == port, Branch);
        next(app);
    };

    private void Branch(IApplicationBuilder branch)
    {
        branch.Use((context, next) =>
        {
            if (context.Features.Get<IHttpMetricsTagsFeature>() is { } metrics) metrics.MetricsDisabled = true;
            if (drain.Draining) context.Response.Headers.Connection = "close";
            return next(context);
        });
        branch.UseMetricServer(settings => settings.Registry = exporter.Registry, Path);
        branch.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync($"Only {Path} is served on this port\n", context.RequestAborted);
        });
    }
}
