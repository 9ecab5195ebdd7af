using Backend.Hosting;
using Backend.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Runtime;

/// <summary>A role that serves in this process under a parent (a web worker, the master): starts the app, tells the
/// parent it is ready, and stops when the parent asks, the parent is gone, or a signal comes. A web worker drains
/// first (<see cref="ServerDrain"/>).</summary>
internal static class WorkerRunner
{
    public static async Task<int> RunAsync(BackendApplication app, RuntimePlan plan, CancellationToken ct)
    {
        await using var link = await ParentLink.ConnectAsync(ProcessRuntime.CurrentEnvironment(), ct);
        using var signals = ProcessRuntime.OnStopSignals(ct, out var registrations);
        using var registered = registrations;
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        app.Services.GetRequiredService<ParentLinkHolder>().Link = link;
        if (app.Services.GetService<Metrics.StatsCollector>() is { } collector)
            link.StatsProvider = () => System.Text.Json.JsonSerializer.SerializeToElement(collector.Snapshot());
        await app.StartAsync(ct);
        await link.SendAsync("ready");
        if (app.Logger.IsEnabled(LogLevel.Debug)) app.Logger.LogDebug("{Role} {Id} ready", plan.Role, plan.ChildId);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(link.StopRequested, signals.Token, lifetime.ApplicationStopping);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // asked to stop
        }
        if (plan.Role == ProcessRole.Worker)
        {
            var drain = app.Services.GetRequiredService<ServerDrain>();
            var limit = TimeSpan.FromMilliseconds(app.Config.GetInt("server-drain-time"));
            await drain.DrainAsync(limit, app.Services.GetRequiredService<TimeProvider>());
        }
        await app.StopAsync(CancellationToken.None);
        return 0;
    }
}
