using Backend.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api.Status;

/// <summary>The status / presence (<c>bk_status</c>) endpoints. (Skeleton: filled in by the module's implementation.)</summary>
public static class StatusApi
{
    /// <summary>Registers the module's services.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder routes) => routes;
}
