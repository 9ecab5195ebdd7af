using Backend.Auth;
using Backend.Http;
using Microsoft.AspNetCore.Http;

namespace Backend.Api;

/// <summary>Sends built-in API replies through the app's post-process hooks (the reference's <c>api.sendJSON</c>).
/// Injected into the modules' endpoint classes, so no reply resolves a service per request.</summary>
internal sealed class ApiReply(ApiHooks hooks)
{
    /// <summary>Runs post-process hooks on the data, then writes it as JSON.</summary>
    public async Task Send(HttpContext context, object? data)
    {
        ArgumentNullException.ThrowIfNull(context);
        await JsonReply.Write(context, await hooks.RunPost(context, data));
    }
}
