using Backend.Api.Accounts;
using Backend.Api.Connections;
using Backend.Api.Counters;
using Backend.Api.Data;
using Backend.Api.Files;
using Backend.Api.Icons;
using Backend.Api.Locations;
using Backend.Api.Messages;
using Backend.Api.Push;
using Backend.Api.Status;
using Backend.Api.Sys;
using Backend.Configuration;
using Backend.Data;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Api;

/// <summary>The API modules of the reference, wired in one place: each module describes its tables, registers its
/// services and maps its endpoints. Modules talk to each other only through <see cref="Db"/> and
/// <see cref="AccountEvents"/> (pub/sub), never directly.</summary>
internal static class BuiltInApis
{
    /// <summary>Describes every built-in table (apps may extend them afterwards).</summary>
    public static void Describe(TableRegistry tables)
    {
        AccountTables.Describe(tables);
        ConnectionTables.Describe(tables);
        CounterTables.Describe(tables);
        LocationTables.Describe(tables);
        MessageTables.Describe(tables);
        IconTables.Describe(tables);
        StatusTables.Describe(tables);
        PushTables.Describe(tables);
    }

    /// <summary>Registers the modules' services (an app's own registrations made earlier win).</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        services.TryAddSingleton<AccountEvents>();
        services.TryAddSingleton<ApiReply>();
        AccountsApi.AddServices(services, config);
        ConnectionsApi.AddServices(services, config);
        CountersApi.AddServices(services, config);
        LocationsApi.AddServices(services, config);
        MessagesApi.AddServices(services, config);
        IconsApi.AddServices(services, config);
        StatusApi.AddServices(services, config);
        DataApi.AddServices(services, config);
        SystemApi.AddServices(services, config);
        FilesApi.AddServices(services, config);
        PushApi.AddServices(services, config);
    }

    /// <summary>The module names <c>-api-disable</c> takes.</summary>
    public static readonly string[] Modules = ["account", "connection", "counter", "location", "message", "icon", "status", "data", "system", "file", "push"];

    /// <summary>Maps the endpoints of every built-in module not turned off by <c>-api-disable</c> (its paths then answer
    /// 404; its tables and account-deletion handlers stay, so data is kept consistent).</summary>
    /// <exception cref="ConfigException">A name in <c>-api-disable</c> that is not a module.</exception>
    public static void Map(IEndpointRouteBuilder routes, IEnumerable<string> disable)
    {
        var disabled = new HashSet<string>(disable, StringComparer.OrdinalIgnoreCase);
        foreach (var name in disabled)
        {
            if (!Modules.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new ConfigException($"invalid value for -api-disable: {name} is not a module (modules: {string.Join(", ", Modules)})");
        }
        if (!disabled.Contains("account")) routes.MapAccountsApi();
        if (!disabled.Contains("connection")) routes.MapConnectionsApi();
        if (!disabled.Contains("counter")) routes.MapCountersApi();
        if (!disabled.Contains("location")) routes.MapLocationsApi();
        if (!disabled.Contains("message")) routes.MapMessagesApi();
        if (!disabled.Contains("icon")) routes.MapIconsApi();
        if (!disabled.Contains("status")) routes.MapStatusApi();
        if (!disabled.Contains("data")) routes.MapDataApi();
        if (!disabled.Contains("system")) routes.MapSystemApi();
        if (!disabled.Contains("file")) routes.MapFilesApi();
        if (!disabled.Contains("push")) routes.MapPushApi();
    }
}
