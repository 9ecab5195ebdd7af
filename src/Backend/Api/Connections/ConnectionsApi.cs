using Backend.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api.Connections;

/// <summary>The connections and references (<c>bk_connection</c>, <c>bk_reference</c>) endpoints. (Skeleton: filled in by the module's implementation.)</summary>
public static class ConnectionsApi
{
    /// <summary>Registers the module's services.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapConnectionsApi(this IEndpointRouteBuilder routes) => routes;
}
