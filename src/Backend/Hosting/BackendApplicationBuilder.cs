using Backend.Api;
using Backend.Api.Accounts;
using Backend.Auth;
using Backend.Cache;
using Backend.Configuration;
using Backend.Data;
using Backend.Data.Sqlite;
using Backend.PubSub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Backend.Http.WebSockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Net;

namespace Backend.Hosting;

/// <summary>Builds a Backend.cs server: parses <c>-name value</c> parameters and the home's config files, describes
/// the built-in tables, and wires Kestrel, DI and the database pools. Describe tables, add services and parameters
/// here, then <see cref="Build"/> and map endpoints on the application.</summary>
public sealed class BackendApplicationBuilder
{
    private BackendApplicationBuilder(string[] args, ConfigRegistry? parameters)
    {
        Config = BackendConfig.Load(args, parameters ?? ConfigRegistry.CreateDefault(), Environment());
        Tables = new TableRegistry();
        BuiltInApis.Describe(Tables);
        Backend.Jobs.JobsModule.Describe(Tables);
        Web = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Config.GetBool("debug") ? "Development" : "Production",
        });
        Web.Configuration.AddBackendConfig(Config);
        Web.Logging.ClearProviders();
        if (Config.GetBool("syslog"))
        {
            // Checked now: a syslog socket that is not there is a configuration error, before anything starts.
            Web.Logging.AddProvider(new SyslogLoggerProvider(Config.GetString("syslog-socket", SyslogLoggerProvider.DefaultSocket), Config.GivenName("syslog-socket"), TimeProvider.System));
        }
        else
        {
            Web.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            });
        }
        Web.Logging.SetMinimumLevel(LogLevelFromConfig(Config));
        Web.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        Web.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
    }

    /// <summary>Creates a builder from command-line arguments (the same parameters as <c>bkcs</c>).</summary>
    public static BackendApplicationBuilder CreateBuilder(string[] args) => new(args ?? [], null);

    /// <summary>Creates a builder with extra documented parameters registered before parsing.</summary>
    public static BackendApplicationBuilder CreateBuilder(string[] args, ConfigRegistry parameters) => new(args ?? [], parameters);

    /// <summary>The parsed configuration (also in <see cref="IConfiguration"/> under the parameter names).</summary>
    public BackendConfig Config { get; }

    /// <summary>Documented parameters; apps add their own (validated again at <see cref="Build"/>).</summary>
    public ConfigRegistry Parameters => Config.Registry;

    /// <summary>Table descriptions; created or upgraded in every pool at start-up.</summary>
    public TableRegistry Tables { get; }

    /// <summary>The underlying ASP.NET Core builder.</summary>
    public WebApplicationBuilder Web { get; }

    /// <summary>DI services.</summary>
    public IServiceCollection Services => Web.Services;

    /// <summary>Logging.</summary>
    public ILoggingBuilder Logging => Web.Logging;

    /// <summary>Validates the configuration, registers the core services and builds the application. Throws
    /// <see cref="ConfigException"/> on bad parameters. Core services are registered with <c>TryAdd</c>: a service the
    /// app registered before (its own <see cref="TimeProvider"/>, <see cref="Files.IFileStore"/>, ...) wins.</summary>
    public BackendApplication Build()
    {
        Config.Validate();
        // Here, not at Load: the modules' parameters (redis-host, memcache-host, ...) are registered by now.
        Config.LoadFromDns();
        BackendHome.Ensure(Config.Home);
        var processEnvironment = Environment();
        var plan = Runtime.RuntimePlan.From(Config, processEnvironment);
        if (plan.Role != Runtime.ProcessRole.Single || Config.GetBool("daemon") || Config.IsSet("log-file") || Config.IsSet("err-file"))
            Runtime.ProcessRuntime.RedirectOutput(Config, processEnvironment);
        Services.TryAddSingleton(plan);
        Runtime.WatchServices.Add(Services, plan);
        Runtime.LogWatcherServices.Add(Services, Config);
        if (!plan.ServesHttp) Services.AddSingleton<Microsoft.AspNetCore.Hosting.Server.IServer, Runtime.NoHttpServer>();
        if (plan.Role != Runtime.ProcessRole.Single || Config.GetBool("daemon"))
        {
            Runtime.Posix.SetProcessName(Runtime.ProcessRuntime.ProcessName(plan.Role));
            // The parent says once what the processes serve; each worker's "listening on" would repeat it.
            Web.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        }
        var server = Config.Configuration.Get<ServerOptions>() ?? new ServerOptions();
        var bindName = Config.GivenName("bind");
        var ws = Config.Configuration.Get<WebSocketServerOptions>() ?? new WebSocketServerOptions();
        var https = Config.Configuration.Get<HttpsOptions>() ?? new HttpsOptions();
        if (https.Port != 0 && https.Port == server.Port)
            throw new ConfigException($"invalid value for -{Config.GivenName("ssl-port")}: {https.Port} is the HTTP -{Config.GivenName("port")} too");
        // Loaded here, so a bad certificate is a configuration error before anything starts.
        var certificate = https.Port != 0 ? https.LoadCertificate(Config.GivenName) : null;
        var drain = new Http.ServerDrain();
        Services.TryAddSingleton(drain);
        Services.TryAddSingleton<Runtime.ParentLinkHolder>();
        Services.TryAddSingleton<Runtime.RestartEndpoints>();
        if (plan.Role == Runtime.ProcessRole.Worker && !plan.Proxied)
        {
            // Web workers share the port: every listening socket gets SO_REUSEPORT before bind (Http/ServerDrain).
            Web.WebHost.UseSockets(o => o.CreateBoundListenSocket = drain.CreateSharedListenSocket);
        }
        // Clients connect here (not to a worker behind the parent's reverse proxy, which has the proxy's limits).
        if (plan.ServesHttp && !plan.Proxied) ConnectionLimits.ApplyBacklog(Web.WebHost, server);
        Web.WebHost.ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            o.Limits.MaxRequestBodySize = server.UploadLimit;
            // The documented limits (Http/RequestLimits: 64 KiB URL, 96 KiB headers) are checked by the pipeline, which
            // can answer them in JSON; Kestrel's own, with an empty 414/431, sit above them as a backstop.
            o.Limits.MaxRequestLineSize = Http.RequestLimits.KestrelFactor * Http.RequestLimits.MaxUrlLength;
            o.Limits.MaxRequestHeadersTotalSize = Http.RequestLimits.KestrelFactor * Http.RequestLimits.MaxHeadersSize;
            if (!plan.ServesHttp) return;
            if (!plan.Proxied) ConnectionLimits.Apply(o.Limits, server);
            // A web worker counts its connections, so a drain knows when the last one is gone.
            Action<ListenOptions> track = plan.Role == Runtime.ProcessRole.Worker
                ? l => l.Use(next => connection => drain.TrackAsync(() => next(connection)))
                : _ => { };
            if (plan.Proxied)
            {
                // Behind the parent's reverse proxy: HTTP on this worker's own loopback port only.
                o.Listen(IPAddress.Loopback, plan.OwnPort, track);
                return;
            }
            Listen(o, server.Bind, server.Port, bindName, track);
            if (ws.Port != 0 && ws.Port != server.Port)
                Listen(o, string.IsNullOrEmpty(ws.Bind) ? server.Bind : ws.Bind, ws.Port, string.IsNullOrEmpty(ws.Bind) ? bindName : Config.GivenName("ws-bind"), track);
            if (certificate is not null)
                Listen(o, string.IsNullOrEmpty(https.Bind) ? server.Bind : https.Bind, https.Port, string.IsNullOrEmpty(https.Bind) ? bindName : Config.GivenName("ssl-bind"),
                    l =>
                    {
                        track(l);
                        l.UseHttps(certificate);
                    });
        });
        Services.AddBackendOptions<WebSocketServerOptions>(Config);
        Services.AddSingleton(Options.Create(new WebSocketPorts { WebSocketPort = ws.Port == 0 ? server.Port : ws.Port, Separate = ws.Port != 0 && ws.Port != server.Port }));

        Services.AddBackendOptions<ServerOptions>(Config);
        Services.AddBackendOptions<AuthOptions>(Config);
        Services.AddBackendOptions<AccessOptions>(Config);
        Services.AddBackendOptions<DbCacheOptions>(Config);
        Services.TryAddSingleton(Config);
        Services.TryAddSingleton(Tables);
        Services.TryAddSingleton(TimeProvider.System);
        Services.TryAddSingleton(sp => CreatePools(sp.GetRequiredService<ILoggerFactory>()));
        Services.TryAddSingleton(sp =>
        {
            var cache = sp.GetRequiredService<IOptions<DbCacheOptions>>().Value;
            var db = new Db(sp.GetRequiredService<TableRegistry>(), sp.GetRequiredService<DbPools>(), cache.Size, TimeSpan.FromMilliseconds(cache.TtlMs),
                sp.GetRequiredService<TimeProvider>());
            // bk_auth is read on every signed request: cached, and every write to it through the facade drops the entry.
            db.Cache.CacheTables([AccountTables.Auth, .. cache.Tables]);
            foreach (var setup in sp.GetServices<IDbSetup>()) setup.Configure(db);
            db.Cache.Cluster = sp.GetService<DbCacheCluster>();
            db.Meter = new Metrics.DbMeter(sp.GetRequiredService<Metrics.BackendMetrics>(), sp.GetService<Metrics.StatsCollector>());
            return db;
        });
        Services.AddHostedService<DbInitService>();
        Services.AddBackendOptions<CacheOptions>(Config);
        var cacheType = Config.Configuration.Get<CacheOptions>()?.Type ?? "local";
        if (!_caches.TryGetValue(cacheType, out var createCache))
            throw new ConfigException($"invalid value for -{Config.GivenName("cache-type")}: \"{cacheType}\" is not a registered cache kind ({string.Join(", ", _caches.Keys.Order(StringComparer.Ordinal))}; redis needs the Redis provider: builder.AddRedis())");
        // Measured (Metrics/MeteredServices): backend.cache.* and backend.pubsub.* on the built-in kinds.
        Services.TryAddSingleton<ICache>(sp => new Metrics.MeteredCache(createCache(sp), sp.GetRequiredService<Metrics.BackendMetrics>()));
        Services.AddBackendOptions<PubSubOptions>(Config);
        var msgType = Config.Configuration.Get<PubSubOptions>()?.Type ?? "local";
        if (!_pubsubs.TryGetValue(msgType, out var createPubSub))
            throw new ConfigException($"invalid value for -{Config.GivenName("msg-type")}: \"{msgType}\" is not a registered pub/sub kind ({string.Join(", ", _pubsubs.Keys.Order(StringComparer.Ordinal))})");
        Services.TryAddSingleton<IPubSub>(sp => new Metrics.MeteredPubSub(createPubSub(sp), msgType, sp.GetRequiredService<Metrics.BackendMetrics>()));
        Services.TryAddSingleton<Metrics.BackendMetrics>();
        if (!Config.GetBool("api-no-metrics")) Services.TryAddSingleton(sp => new Metrics.StatsCollector(sp.GetRequiredService<TimeProvider>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        Services.TryAddSingleton<Metrics.MachineStats>();
        // -prometheus-port and -collect-host (docs/metrics.md, "Export"); before the access log, so scrapes are not logged.
        Metrics.MetricsExport.AddServices(Services, Config, plan);
        // After the Prometheus endpoint's filter (in MetricsExport), so its scrapes are not counted.
        if (!Config.GetBool("api-no-metrics")) Services.AddTransient<IStartupFilter, Metrics.RequestStatsStartupFilter>();
        if (cacheType != "local" || msgType != "local")
        {
            // Several processes: the read cache gets a shared second level and an invalidation broadcast.
            Services.TryAddSingleton(sp => new DbCacheCluster(sp.GetRequiredService<ICache>(), sp.GetRequiredService<IPubSub>(), shared: cacheType != "local",
                TimeSpan.FromMilliseconds(sp.GetRequiredService<IOptions<DbCacheOptions>>().Value.TtlMs), sp.GetRequiredService<ILogger<DbCacheCluster>>()));
            Services.AddHostedService<DbCacheClusterService>();
        }
        Services.TryAddSingleton<Http.FaultLog>();
        Services.TryAddSingleton<ApiHooks>();
        // Sessions live where the cache does: in this process with the local cache, else in the shared cache, so every
        // node sees them. The kind is the registered ICache's (an app's own cache decides too).
        Services.TryAddSingleton<ISessionStore>(sp =>
        {
            var auth = sp.GetRequiredService<IOptions<AuthOptions>>().Value;
            var cache = sp.GetRequiredService<ICache>();
            return cache.Kind == "local"
                ? new SessionStore(auth.SessionMax, auth.SessionMaxPerAccount, sp.GetRequiredService<TimeProvider>())
                : new SharedSessionStore(cache, auth.SessionMaxPerAccount, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SharedSessionStore>>());
        });
        Services.TryAddSingleton<RequestAuthenticator>();
        Services.TryAddSingleton<IWebSocketAuthenticator, WebSocketUpgradeAuthenticator>();
        Services.TryAddSingleton(sp => AccessRules.FromOptions(sp.GetRequiredService<IOptions<AccessOptions>>().Value));
        Http.Overload.OverloadModule.AddServices(Services, Config, plan.ServesHttp);
        Files.FileStores.AddServices(Services, Config);
        BuiltInApis.AddServices(Services, Config);
        Backend.Jobs.JobsModule.AddServices(Services, Config);
        // The access log: a process serving as part of a server (a Web worker, -daemon) writes log/access.log by default.
        if (plan.ServesHttp) Http.AccessLog.AccessLogModule.AddServices(Services, Config, onByDefault: plan.Role == Runtime.ProcessRole.Worker || Config.GetBool("daemon"));
        var app = new BackendApplication(Web.Build(), Config);
        if (Config.FromDns.Count > 0 && app.Logger.IsEnabled(LogLevel.Information))
            app.Logger.LogInformation("Parameters from DNS: {Parameters}", string.Join("; ", Config.FromDns));
        return app;
    }

    /// <summary>Listens on <paramref name="bind"/>:<paramref name="port"/> (also the reverse proxy's ports).</summary>
    internal static void Listen(KestrelServerOptions o, string bind, int port, string bindName, Action<ListenOptions>? configure = null)
    {
        configure ??= _ => { };
        if (bind is "0.0.0.0" or "*" or "") o.ListenAnyIP(port, configure);
        else if (bind == "localhost") o.ListenLocalhost(port, configure);
        else if (IPAddress.TryParse(bind, out var ip)) o.Listen(ip, port, configure);
        else throw new ConfigException($"invalid value for -{bindName}: \"{bind}\" is not an IP address");
    }

    /// <summary>Registers a database driver kind; its pool is created when <c>-db-KIND-pool</c> is configured.</summary>
    public BackendApplicationBuilder AddDbDriver(IDbDriverFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _drivers[factory.Kind] = _ => factory;
        return this;
    }

    /// <summary>Registers a database driver kind whose factory is made from the configuration when its pool is created
    /// (for a provider with settings of its own, read after every source and the app's own <c>Config.Set</c>).</summary>
    public BackendApplicationBuilder AddDbDriver(string kind, Func<BackendConfig, IDbDriverFactory> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(create);
        _drivers[kind] = create;
        return this;
    }

    /// <summary>Registers a cache kind for <c>-cache-type KIND</c>; <paramref name="create"/> runs once, when the
    /// <see cref="ICache"/> is first needed.</summary>
    public BackendApplicationBuilder AddCache(string kind, Func<IServiceProvider, ICache> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(create);
        _caches[kind] = create;
        return this;
    }

    private readonly Dictionary<string, Func<IServiceProvider, ICache>> _caches = new(StringComparer.Ordinal)
    {
        ["local"] = sp => new LocalCache(sp.GetRequiredService<IOptions<CacheOptions>>().Value.LruMax, sp.GetRequiredService<TimeProvider>()),
    };

    /// <summary>Registers a pub/sub kind for <c>-msg-type KIND</c>; <paramref name="create"/> runs once, when the
    /// <see cref="IPubSub"/> is first needed.</summary>
    public BackendApplicationBuilder AddPubSub(string kind, Func<IServiceProvider, IPubSub> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(create);
        _pubsubs[kind] = create;
        return this;
    }

    private readonly Dictionary<string, Func<IServiceProvider, IPubSub>> _pubsubs = new(StringComparer.Ordinal)
    {
        ["local"] = sp => new LocalPubSub(sp.GetRequiredService<ILogger<LocalPubSub>>()),
    };

    private readonly Dictionary<string, Func<BackendConfig, IDbDriverFactory>> _drivers = new(StringComparer.Ordinal)
    {
        ["sqlite"] = config => new SqliteDriverFactory(config.GetInt("db-busy-timeout")),
    };

    private DbPools CreatePools(ILoggerFactory logs)
    {
        var pools = new DbPools(Config.GetString("db-pool", "sqlite"));
        foreach (var name in Config.Registry.All.Select(p => p.Name).Where(n => n.StartsWith("db-", StringComparison.Ordinal) && n.EndsWith("-pool", StringComparison.Ordinal) && n != "db-pool"))
        {
            var kind = name[3..^5];
            if (Config.Get(name) is not { Length: > 0 } url) continue;
            if (!_drivers.TryGetValue(kind, out var create))
            {
                if (kind == pools.DefaultPool || Config.IsSet(name))
                    throw new ConfigException($"-{name} is set but no {kind} driver is registered (reference Backend.{kind} and call its Add method on the builder)");
                continue;
            }
            var factory = create(Config);
            pools.Add(factory.Create(PoolSettings(Config, kind, url), logs));
            foreach (var table in Config.GetList($"db-{kind}-tables")) pools.MapTable(table, kind);
        }
        if (!pools.All.Any(p => p.Name == pools.DefaultPool))
            throw new ConfigException($"invalid value for -db-pool: no pool named \"{pools.DefaultPool}\" is configured (set -db-{pools.DefaultPool}-pool)");
        return pools;
    }

    /// <summary>The typed settings of the pool of <paramref name="kind"/>: <c>-db-KIND-max</c> (else
    /// <c>-db-max-connections</c>), <c>-db-KIND-min</c>, <c>-db-KIND-idle</c>, <c>-db-connect-timeout</c>,
    /// <c>-db-KIND-timeout</c> (else <c>-db-timeout</c>). A per-pool parameter a provider did not register falls back
    /// to the general one.</summary>
    public static DbPoolSettings PoolSettings(BackendConfig config, string kind, string url)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(url);
        int? Own(string suffix)
        {
            var name = $"db-{kind}-{suffix}";
            return config.Registry.TryGet(name, out _) && config.IsSet(name) ? config.GetInt(name) : null;
        }
        return new DbPoolSettings(kind, url)
        {
            MaxConnections = Own("max") ?? config.GetInt("db-max-connections"),
            MinConnections = Own("min") ?? 0,
            IdleTimeoutMs = Own("idle"),
            ConnectTimeoutMs = config.GetInt("db-connect-timeout"),
            TimeoutMs = Own("timeout") ?? config.GetInt("db-timeout"),
            DataDirectory = config.HomePath("var"),
        };
    }

    private static LogLevel LogLevelFromConfig(BackendConfig config)
    {
        if (config.GetBool("debug")) return LogLevel.Debug;
        return config.GetString("log", "info").ToLowerInvariant() switch
        {
            "none" => LogLevel.None,
            "error" => LogLevel.Error,
            "warn" => LogLevel.Warning,
            "debug" => LogLevel.Debug,
            "trace" or "dev" => LogLevel.Trace,
            _ => LogLevel.Information,
        };
    }

    private static Dictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            env[(string)e.Key] = e.Value?.ToString() ?? "";
        return env;
    }
}
