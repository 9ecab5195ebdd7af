using Backend.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api.Messages;

/// <summary>The messages (<c>bk_message</c>, <c>bk_archive</c>, <c>bk_sent</c>) endpoints. (Skeleton: filled in by the module's implementation.)</summary>
public static class MessagesApi
{
    /// <summary>Registers the module's services.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder routes) => routes;
}
