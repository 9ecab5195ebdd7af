using Backend.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Http.AccessLog;

/// <summary>The access log (docs/operations.md, "Access log"): one line per request in the combined format plus the
/// time taken and the account id, queued by the request and written in batches by a background writer.</summary>
internal static class AccessLogModule
{
    /// <summary>Registers the options, the queue, the writer and the middleware's place in the pipeline, for a
    /// process that serves HTTP. <paramref name="onByDefault"/>: the process serves as part of a server (a Web worker,
    /// <c>-daemon</c>), so it writes <c>log/access.log</c> unless <c>-api-access-log</c> or
    /// <c>-api-no-access-log</c> says otherwise.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config, bool onByDefault)
    {
        services.AddBackendOptions<AccessLogOptions>(config).Configure(o => o.OnByDefault = onByDefault);
        // Opened once now, as the builder loads a certificate: a file that cannot be opened is a configuration error
        // (one line, exit 2) before anything starts, not a failed start of the host.
        var options = config.Configuration.Get<AccessLogOptions>() ?? new AccessLogOptions();
        options.OnByDefault = onByDefault;
        if (AccessLogQueue.Resolve(options, config) is { } path) AccessLogWriter.Check(path);
        services.TryAddSingleton<AccessLogQueue>();
        services.AddHostedService<AccessLogWriter>();
        services.AddTransient<IStartupFilter, AccessLogStartupFilter>();
    }

    /// <summary>Logs each WebSocket message (a request of its own that starts after the WebSocket middleware): called
    /// right after that middleware is added. Nothing when there is no access log.</summary>
    public static void UseForWebSocketMessages(IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetService<AccessLogQueue>() is { Enabled: true })
            app.UseMiddleware<AccessLogMiddleware>(true);
    }
}
