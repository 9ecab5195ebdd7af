using Backend.Auth;
using Backend.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api;

/// <summary>Sends built-in API replies through the app's post-process hooks (the reference's <c>api.sendJSON</c>).</summary>
public static class ApiReply
{
    /// <summary>Runs post-process hooks on the data, then writes it as JSON.</summary>
    public static async Task Send(HttpContext context, object? data)
    {
        ArgumentNullException.ThrowIfNull(context);
        var hooks = context.RequestServices.GetRequiredService<ApiHooks>();
        await JsonReply.Write(context, await hooks.RunPost(context, data));
    }
}
