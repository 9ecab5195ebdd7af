using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backend.Runtime;

/// <summary>DI registrations of <c>-watch</c>: the watcher's role runner, and in the single-process server a watcher
/// runs, the link back to it.</summary>
internal static class WatchServices
{
    public static void Add(IServiceCollection services, RuntimePlan plan)
    {
        if (plan.Role == ProcessRole.Watcher)
        {
            services.AddSingleton<IRoleRunner, Watcher>();
        }
        else if (plan.Role == ProcessRole.Single && Environment.GetEnvironmentVariable(ChildVariables.NoWatch) is { Length: > 0 }
                 && Environment.GetEnvironmentVariable(ChildVariables.Control) is { Length: > 0 })
        {
            // The -web, -master and -monitor roles connect to their parent themselves.
            services.AddHostedService<WatchParentLink>();
        }
    }
}

/// <summary>In a single-process server started by <c>-watch</c>: the control connection to the watcher. The server
/// stops when the watcher asks (<c>stop</c>) or goes away, even killed with -9, so a watcher never leaves its server
/// behind holding the port.</summary>
internal sealed partial class WatchParentLink(IHostApplicationLifetime lifetime, ILogger<WatchParentLink> logger) : IHostedService, IAsyncDisposable
{
    private ControlClient? _client;
    private volatile bool _stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A watcher that is gone already makes this throw, and the server does not start: there is no one to serve for.
        _client = await ControlClient.ConnectAsync(ProcessRuntime.CurrentEnvironment(), OnMessage, cancellationToken);
        _client?.ParentGone.Register(() =>
        {
            if (_stopping) return;
            LogWatcherGone();
            lifetime.StopApplication();
        });
    }

    private Task OnMessage(ControlMessage message)
    {
        if (message.Op == "stop") lifetime.StopApplication();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        var client = Interlocked.Exchange(ref _client, null);
        if (client is not null) await client.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "-watch: the watcher is gone; stopping")]
    private partial void LogWatcherGone();
}
