using Backend.Api;
using Backend.Api.Accounts;
using Backend.Auth;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace Backend.Hosting;

/// <summary>A built Backend.cs server. Map endpoints on it as on any ASP.NET Core app (it is an
/// <see cref="IEndpointRouteBuilder"/>); they run behind the signature and access checks. Register hooks on
/// <see cref="Api"/> and row processors on <see cref="Db"/>.</summary>
public sealed class BackendApplication : IEndpointRouteBuilder, IAsyncDisposable
{
    private readonly IEndpointRouteBuilder _routes;

    internal BackendApplication(WebApplication web, BackendConfig config)
    {
        Web = web;
        Config = config;
        _routes = web;
        Db = web.Services.GetRequiredService<Db>();
        Api = web.Services.GetRequiredService<ApiHooks>();
        Logger = web.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Backend");
        Db.Pools.Resolve(null, AccountTables.Auth); // an unknown -db-pool fails here, at start-up, not on the first request

        web.UseMiddleware<ErrorHandlingMiddleware>();
        web.UseMiddleware<AccessMiddleware>();
        if (!config.GetBool("api-no-static"))
        {
            foreach (var dir in new[] { config.GetPath("web-dir") ?? config.HomePath("web"), Path.Combine(AppContext.BaseDirectory, "web") }.Where(Directory.Exists))
                web.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Path.GetFullPath(dir)) });
        }
        web.UseRouting();

        web.MapGet("/ping", () => Results.Ok());
        BuiltInApis.Map(web, config);
    }

    /// <summary>The underlying ASP.NET Core application.</summary>
    public WebApplication Web { get; }

    /// <summary>The configuration.</summary>
    public BackendConfig Config { get; }

    /// <summary>The database facade.</summary>
    public Db Db { get; }

    /// <summary>Access checks and pre/post-process hooks.</summary>
    public ApiHooks Api { get; }

    /// <summary>The application's logger.</summary>
    public ILogger Logger { get; }

    /// <summary>Services.</summary>
    public IServiceProvider Services => Web.Services;

    /// <summary>The addresses the server listens on once started.</summary>
    public ICollection<string> Urls => Web.Urls;

    IServiceProvider IEndpointRouteBuilder.ServiceProvider => _routes.ServiceProvider;

    ICollection<EndpointDataSource> IEndpointRouteBuilder.DataSources => _routes.DataSources;

    IApplicationBuilder IEndpointRouteBuilder.CreateApplicationBuilder() => _routes.CreateApplicationBuilder();

    /// <summary>Creates or upgrades the tables, then starts listening.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await Db.InitAsync(cancellationToken);
        await Web.StartAsync(cancellationToken);
    }

    /// <summary>Creates or upgrades the tables and serves until shut down (Ctrl-C, SIGTERM).</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await Db.InitAsync(cancellationToken);
        await Web.RunAsync();
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
