using System.Net.Http.Headers;
using Lib.Net.Http.WebPush.Authentication;

namespace Backend.Push.WebPush;

/// <summary>Puts the right <c>aud</c> in the VAPID token of an endpoint on a non-default port. RFC 8292 §2 makes
/// <c>aud</c> the origin of the push resource (<c>https://host:port</c> when the port is not 443), but
/// Lib.Net.Http.WebPush 3.3.1 writes <c>scheme://host</c> without the port: harmless for the public push services
/// (all on 443), refused by a push server on another port (a private one, with <c>-webpush-allow-private</c>). Requests
/// to the default port pass unchanged.</summary>
internal sealed class VapidAudienceHandler : DelegatingHandler
{
    private readonly VapidAuthentication _vapid;

    public VapidAudienceHandler(VapidAuthentication vapid, HttpMessageHandler inner)
        : base(inner) => _vapid = vapid;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { IsDefaultPort: false } uri && request.Headers.Authorization is { Scheme: "vapid" })
        {
            var origin = uri.GetLeftPart(UriPartial.Authority);
            request.Headers.Authorization = new AuthenticationHeaderValue("vapid", _vapid.GetVapidSchemeAuthenticationHeaderValueParameter(origin));
        }
        return base.SendAsync(request, cancellationToken);
    }
}
