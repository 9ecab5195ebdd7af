using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api;

/// <summary>What the modules' <c>MapXxxApi</c> share: the HTTP methods of every built-in endpoint and the one place that
/// takes a module's endpoint class from the service provider, once, when the routes are mapped. Handlers are then
/// plain <see cref="Microsoft.AspNetCore.Http.RequestDelegate"/>s on that instance: nothing is resolved per request.</summary>
internal static class ApiRoutes
{
    /// <summary>Every built-in endpoint answers GET and POST alike.</summary>
    public static readonly string[] Methods = ["GET", "POST"];

    /// <summary>The module's endpoint class (a singleton registered by the module's <c>AddServices</c>).</summary>
    public static T Handlers<T>(this IEndpointRouteBuilder routes) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(routes);
        return routes.ServiceProvider.GetRequiredService<T>();
    }
}
