using Backend.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api.Locations;

/// <summary>The locations (<c>bk_location</c>) endpoints. (Skeleton: filled in by the module's implementation.)</summary>
public static class LocationsApi
{
    /// <summary>Registers the module's services.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapLocationsApi(this IEndpointRouteBuilder routes) => routes;
}
