using Backend.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api.Data;

/// <summary>The data API (<c>/data/*</c>). (Skeleton: filled in by the module's implementation.)</summary>
public static class DataApi
{
    /// <summary>Registers the module's services.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapDataApi(this IEndpointRouteBuilder routes) => routes;
}
