using Backend.Api;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backend.Runtime;

/// <summary>The process a web worker reports to: set by the worker's runner once it is connected, read by
/// <c>/system/restart</c>.</summary>
internal sealed class ParentLinkHolder
{
    public ParentLink? Link { get; set; }
}

/// <summary><c>/system/restart</c> (admins): a rolling restart of the Web workers of this machine, done by the Web
/// server parent one worker at a time (docs/operations.md). A server that runs as one process has no workers to
/// restart: 409.</summary>
internal static class RestartApi
{
    public static IEndpointRouteBuilder MapRestartApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<RestartEndpoints>();
        routes.MapMethods("/system/restart", ApiRoutes.Methods, endpoints.Restart);
        return routes;
    }
}

internal sealed class RestartEndpoints(ApiReply reply, RuntimePlan plan, ParentLinkHolder holder)
{
    public async Task Restart(HttpContext context)
    {
        var api = context.Api();
        api.RequireAccountId();
        if (!api.IsAdmin) throw new ApiException(403, "Access denied: /system/restart is for admins");
        if (plan.Role != ProcessRole.Worker || holder.Link is not { HasParent: true } link)
            throw new ApiException(409, "This server runs as one process: /system/restart restarts the Web workers of a server started with -web (bkcs run-server); restart this one with its service manager");
        if (!await link.SendAsync("restart")) throw new ApiException(503, "The Web server parent is not reachable; try again");
        await reply.Send(context, new { });
    }
}
