using Backend.Api;
using Backend.Api.Accounts;
using Backend.Auth;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Backend.Http.WebSockets;
using Backend.Web.Console;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Hosting;

/// <summary>A built Backend.cs server. Map endpoints on it as on any ASP.NET Core app (it is an
/// <see cref="IEndpointRouteBuilder"/>); they run behind the signature and access checks. Register hooks on
/// <see cref="Api"/> and row processors on <see cref="Db"/>.
/// <para>The request pipeline is the app's: middleware it adds on <see cref="Web"/> before <see cref="UseBackend"/> (CORS,
/// forwarded headers, rate limiting, ...) runs before the access gate; <see cref="UseBackend"/> adds the error handler,
/// the access gate (signatures, access rules, hooks), static files and routing. An app that never calls it gets it
/// when it starts, after whatever it added.</para></summary>
public sealed class BackendApplication : IEndpointRouteBuilder, IAsyncDisposable
{
    private readonly IEndpointRouteBuilder _routes;
    private bool _backendUsed;

    internal BackendApplication(WebApplication web, BackendConfig config)
    {
        Web = web;
        Config = config;
        _routes = web;
        Db = web.Services.GetRequiredService<Db>();
        // Listens from the start: /system/stats/get counts every request.
        web.Services.GetService<Metrics.StatsCollector>();
        Api = web.Services.GetRequiredService<ApiHooks>();
        Logger = web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Backend");
        Db.Pools.Resolve(null, AccountTables.Auth); // an unknown -db-pool fails here, at start-up, not on the first request

        web.MapGet("/ping", () => Results.Ok());
        var server = web.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var disabled = server.Disable;
        BuiltInApis.Map(web, disabled);
        // /doc.html, /api.html, /js/backend.js: the reference served them as static files, so -api-no-static hides them too.
        if (!server.NoStatic) ConsolePages.Map(web);
        if (!disabled.Contains("system")) Runtime.RestartApi.MapRestartApi(web);
    }

    /// <summary>Adds the backend's middleware at this point of the pipeline: the overload checks (the busy check, the
    /// rate limits by address and, after the gate, by account; those configured), the JSON error handler, the access gate,
    /// static files (<c>-web-dir</c> and the built-in <c>web/</c>, unless <c>-api-no-static</c>) and routing. Call it
    /// after the middleware that must run before the gate; endpoints mapped before or after it alike run behind it.
    /// Calling it again does nothing.</summary>
    public BackendApplication UseBackend()
    {
        if (_backendUsed) return this;
        _backendUsed = true;
        var server = Web.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        // A web worker that drains says Connection: close on every reply (Http/ServerDrain).
        var plan = Web.Services.GetRequiredService<Runtime.RuntimePlan>();
        // Behind the parent's reverse proxy the client's address, scheme and port come from its X-Forwarded-* headers.
        if (plan.Proxied) Web.UseMiddleware<Runtime.ProxiedRequest>();
        if (plan.Role == Runtime.ProcessRole.Worker) Web.UseMiddleware<Http.DrainMiddleware>();
        // WebSockets first: each message runs through everything after it (Http/WebSockets/WebSocketMiddleware).
        Web.UseWebSockets();
        Web.UseMiddleware<WebSocketMiddleware>();
        Http.AccessLog.AccessLogModule.UseForWebSocketMessages(Web);
        // Overload: the busy check (503) and the limits by client address (429), before any work is done for a
        // request; the limits by account need the account, so they follow the gate (Http/Overload).
        Http.Overload.OverloadModule.UseBeforeGate(Web);
        Web.UseMiddleware<ErrorHandlingMiddleware>();
        Web.UseMiddleware<AccessMiddleware>();
        Http.Overload.OverloadModule.UseAfterGate(Web);
        if (!server.NoStatic)
        {
            foreach (var dir in new[] { server.WebDir ?? Config.HomePath("web"), Path.Combine(AppContext.BaseDirectory, "web") }.Where(Directory.Exists))
                Web.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Path.GetFullPath(dir)) });
        }
        Web.UseRouting();
        return this;
    }

    /// <summary>The underlying ASP.NET Core application.</summary>
    public WebApplication Web { get; }

    /// <summary>The configuration.</summary>
    public BackendConfig Config { get; }

    /// <summary>The database facade.</summary>
    public Db Db { get; }

    /// <summary>Access checks and pre/post-process hooks.</summary>
    public ApiHooks Api { get; }

    /// <summary>The jobs this program runs by name (crontab, <c>bkcs run-job</c>, <c>/system/jobs/submit</c>):
    /// <c>app.Jobs.Add("cleanup", async (job, args, ct) => ...)</c>. Register them before <see cref="RunAsync"/>: every
    /// process of the program (the job processes the master starts included) registers the same ones.</summary>
    public Backend.Jobs.JobRegistry Jobs => Services.GetRequiredService<Backend.Jobs.JobRegistry>();

    /// <summary>The application's logger.</summary>
    public ILogger Logger { get; }

    /// <summary>Services.</summary>
    public IServiceProvider Services => Web.Services;

    /// <summary>The addresses the server listens on once started.</summary>
    public ICollection<string> Urls => Web.Urls;

    IServiceProvider IEndpointRouteBuilder.ServiceProvider => _routes.ServiceProvider;

    ICollection<EndpointDataSource> IEndpointRouteBuilder.DataSources => _routes.DataSources;

    IApplicationBuilder IEndpointRouteBuilder.CreateApplicationBuilder() => _routes.CreateApplicationBuilder();

    /// <summary>Starts: the tables are created or upgraded (<see cref="DbInitService"/>), then the server listens.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        UseBackend();
        await Web.StartAsync(cancellationToken);
    }

    /// <summary>Stops the server gracefully.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => Web.StopAsync(cancellationToken);

    /// <summary>Runs this process as its parameters say (docs/operations.md): one process that serves (the default), or
    /// with <c>-web</c>, <c>-master</c>, <c>-monitor</c>, <c>-daemon</c>, <c>-watch</c> the role the runtime gives it,
    /// until shut down: Ctrl-C, SIGTERM, or <paramref name="cancellationToken"/>. A non-zero exit code of the role is set
    /// as <see cref="Environment.ExitCode"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var code = await Runtime.ProcessRuntime.RunAsync(this, cancellationToken);
        if (code != 0) Environment.ExitCode = code;
    }

    /// <summary>Starts (tables first) and serves in this process until shut down.</summary>
    internal async Task RunSingleAsync(CancellationToken cancellationToken)
    {
        UseBackend();
        await ((IHost)Web).RunAsync(cancellationToken);
    }

    /// <summary>Blocking form of <see cref="RunAsync"/> for <c>Program.cs</c>.</summary>
    public void Run() => RunAsync().GetAwaiter().GetResult();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Web.DisposeAsync();
        await Db.Pools.DisposeAsync();
    }
}
