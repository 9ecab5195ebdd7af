using Backend.Api.Accounts;
using Backend.Api.Connections;
using Backend.Api.Counters;
using Backend.Api.Data;
using Backend.Api.Locations;
using Backend.Api.Messages;
using Backend.Api.Status;
using Backend.Configuration;
using Backend.Data;
using Backend.PubSub;
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
        StatusTables.Describe(tables);
    }

    /// <summary>Registers the modules' services (an app's own registrations made earlier win).</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        services.TryAddSingleton<IPubSub, LocalPubSub>();
        services.TryAddSingleton<AccountEvents>();
        ConnectionsApi.AddServices(services, config);
        CountersApi.AddServices(services, config);
        LocationsApi.AddServices(services, config);
        MessagesApi.AddServices(services, config);
        StatusApi.AddServices(services, config);
        DataApi.AddServices(services, config);
    }

    /// <summary>Maps every built-in endpoint.</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapAccountsApi();
        routes.MapConnectionsApi();
        routes.MapCountersApi();
        routes.MapLocationsApi();
        routes.MapMessagesApi();
        routes.MapStatusApi();
        routes.MapDataApi();
    }
}
