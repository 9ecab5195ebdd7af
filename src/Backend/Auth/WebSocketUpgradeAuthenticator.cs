using System.Security.Cryptography;
using System.Text;
using Backend.Data;
using Backend.Http;
using Backend.Http.WebSockets;
using Microsoft.AspNetCore.Http;

namespace Backend.Auth;

/// <summary>A signed WebSocket upgrade: deny rules, then the signature as for any request (<see cref="RequestAuthenticator"/>);
/// on success the socket's <see cref="WebSocketIdentity"/>.</summary>
internal sealed class WebSocketUpgradeAuthenticator(RequestAuthenticator authenticator, AccessRules rules, Db db) : IWebSocketAuthenticator
{
    public async ValueTask<(int Status, string Message, WebSocketIdentity? Identity)> AuthenticateUpgradeAsync(HttpContext context)
    {
        var path = AccessRules.Normalize(context.Request.Path.Value ?? "/");
        if (rules.IsDenied(path)) return (403, "Access denied", null);
        var body = new RequestBody.Parsed(new Dictionary<string, string>(StringComparer.Ordinal), null, null, null);
        var api = new ApiRequest(body.Params, null);
        var status = await authenticator.AuthenticateAsync(context, api, body, path);
        if (!status.IsOk) return (status.Status, status.Message, null);
        var login = api.Account?.GetString("login") ?? "";
        var auth = await db.GetCachedAsync(AuthTables.Auth, new DbRow { ["login"] = login }, context.RequestAborted);
        if (auth is null) return (404, "No account record found", null);
        return (200, "", new WebSocketIdentity(login, RequestAuthenticator.SecretHash(auth.GetString("secret"))));
    }
}
