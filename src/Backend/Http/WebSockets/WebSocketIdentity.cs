using Microsoft.AspNetCore.Http;

namespace Backend.Http.WebSockets;

/// <summary>The account a signed upgrade request authenticated (its <c>bk-signature</c> header or query parameter,
/// checked once at the upgrade like any request). Set as a feature on each message of the socket: a message with no
/// signature of its own is that account's, re-checked per message against the account's current record (gone: 404,
/// expired: 412, ACLs, a changed secret: 401), as a session is.</summary>
/// <param name="Login">The login that signed the upgrade.</param>
/// <param name="SecretHash">SHA-256 of the secret it was signed with, so a secret change ends the socket's identity.</param>
internal sealed record WebSocketIdentity(string Login, byte[] SecretHash);

/// <summary>Checks a signed upgrade request (implemented by the access layer, which the HTTP layer does not see).</summary>
internal interface IWebSocketAuthenticator
{
    /// <summary>Authenticates the upgrade: status 200 with the identity, or the error the HTTP API would answer.</summary>
    ValueTask<(int Status, string Message, WebSocketIdentity? Identity)> AuthenticateUpgradeAsync(HttpContext context);
}
