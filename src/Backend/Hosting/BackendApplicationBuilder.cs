using Backend.Api.Accounts;
using Backend.Auth;
using Backend.Configuration;
using Backend.Data;
using Backend.Data.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
        AccountTables.Describe(Tables);
        Web = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Config.GetBool("debug") ? "Development" : "Production",
        });
        Web.Configuration.AddBackendConfig(Config);
        Web.Logging.ClearProviders();
        Web.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
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

    /// <summary>Validates the configuration and builds the application. Throws <see cref="ConfigException"/> on bad parameters.</summary>
    public BackendApplication Build()
    {
        Config.Validate();
        BackendHome.Ensure(Config.Home);
        var port = Config.GetInt("api-port");
        var bind = Config.GetString("api-bind", "127.0.0.1");
        var maxBody = Config.GetLong("api-max-request-size");
        Web.WebHost.ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            o.Limits.MaxRequestBodySize = maxBody;
            Listen(o, bind, port);
        });

        Services.AddSingleton(Config);
        Services.AddSingleton(Tables);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton(sp => CreatePools(Config, sp.GetRequiredService<ILoggerFactory>()));
        Services.AddSingleton<Db>();
        Services.AddSingleton<ApiHooks>();
        Services.AddSingleton<SessionStore>();
        Services.AddSingleton<RequestAuthenticator>();
        Services.AddSingleton(AccessRules.FromConfig(Config));
        return new BackendApplication(Web.Build(), Config);
    }

    private static void Listen(KestrelServerOptions o, string bind, int port)
    {
        if (bind is "0.0.0.0" or "*" or "") o.ListenAnyIP(port);
        else if (bind == "localhost") o.ListenLocalhost(port);
        else if (IPAddress.TryParse(bind, out var ip)) o.Listen(ip, port);
        else throw new ConfigException($"invalid value for -api-bind: \"{bind}\" is not an IP address");
    }

    private static DbPools CreatePools(BackendConfig config, ILoggerFactory logs)
    {
        var pools = new DbPools(config.GetString("db-pool", "sqlite"));
        var path = config.GetString("db-sqlite-pool", "backend");
        // A bare name means a file under the home's var/; anything with a slash or an extension is a path.
        if (!path.Contains('/') && !path.EndsWith(".db", StringComparison.Ordinal)) path = config.HomePath("var", path + ".db");
        pools.Add(new SqliteDriver("sqlite", path, config.GetInt("db-busy-timeout"), logs.CreateLogger<SqliteDriver>()));
        return pools;
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
