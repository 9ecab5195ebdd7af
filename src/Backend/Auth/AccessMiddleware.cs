using Backend.Data;
using Backend.Http;
using Backend.Security;
using Microsoft.AspNetCore.Http;

namespace Backend.Auth;

/// <summary>The request pipeline's gate, in the order of the signature contract: deny rules (403), the allow list
/// (no signature needed), app access checks, then the signature (400, 406, 404, 412, 403, 401), admin-only paths,
/// and the pre-process hooks, which may still change the outcome. On success the request carries its account.</summary>
internal sealed class AccessMiddleware(RequestDelegate next, AccessRules rules, ApiHooks hooks, RequestAuthenticator authenticator)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = AccessRules.Normalize(context.Request.Path.Value ?? "/");
        if (rules.IsDenied(path))
        {
            await JsonReply.Error(context, 403, "Access denied");
            return;
        }
        var body = await RequestBody.ReadAsync(context.Request, authenticator.WantsMultipartBytes(context.Request), context.RequestAborted);
        var api = new ApiRequest(body.Params, body.Json);
        context.Features.Set(api);

        var allowed = rules.IsAllowed(path);
        if (!allowed && hooks.HasAccessChecks && await hooks.RunAccess(context) is { } decision)
        {
            if (!decision.IsOk)
            {
                await JsonReply.Error(context, decision.Status, decision.Message);
                return;
            }
            allowed = true;
        }

        var status = await authenticator.AuthenticateAsync(context, api, body, path);
        if (allowed)
        {
            // Open paths never fail on a bad signature; a valid one still identifies the caller (an admin adding an admin).
            if (!status.IsOk) api.Account = null;
        }
        else if (hooks.HasPreProcess)
        {
            status = await hooks.RunPre(context, status) ?? status;
        }
        if (!allowed && !status.IsOk)
        {
            await JsonReply.Error(context, status.Status, status.Message);
            return;
        }
        if (rules.IsAdminOnly(path) && !api.IsAdmin)
        {
            await JsonReply.Error(context, 403, "Access denied");
            return;
        }
        await next(context);
    }
}
