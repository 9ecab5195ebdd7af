using System.Net.Http.Headers;
using Lib.Net.Http.WebPush.Authentication;

namespace Backend.Push.WebPush;

/// <summary>What the Web Push sender adds under Lib.Net.Http.WebPush's <c>PushServiceClient</c>:
/// <list type="bullet">
/// <item>The right <c>aud</c> in the VAPID token of an endpoint on a non-default port. RFC 8292 §2 makes <c>aud</c>
/// the origin of the push resource (<c>https://host:port</c> when the port is not 443), but the library (3.3.1) writes
/// <c>scheme://host</c> without the port: harmless for the public push services (all on 443), refused by a push
/// server on another port (a private one, with <c>-webpush-allow-private</c>). Requests to the default port keep the
/// library's header.</item>
/// <item>The response body read before the library sees the response: it asks for headers only and does not dispose
/// the response, which would leave the HTTP/2 stream open until collected; push answers are small (at most
/// <see cref="MaxResponseBytes"/> are read).</item>
/// </list></summary>
internal sealed class WebPushHttpHandler : DelegatingHandler
{
    /// <summary>The largest response body read (a larger one is a network error, retried).</summary>
    public const int MaxResponseBytes = 64 * 1024;

    private readonly VapidAuthentication _vapid;

    public WebPushHttpHandler(VapidAuthentication vapid, HttpMessageHandler inner)
        : base(inner) => _vapid = vapid;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { IsDefaultPort: false } uri && request.Headers.Authorization is { Scheme: "vapid" })
        {
            var origin = uri.GetLeftPart(UriPartial.Authority);
            request.Headers.Authorization = new AuthenticationHeaderValue("vapid", _vapid.GetVapidSchemeAuthenticationHeaderValueParameter(origin));
        }
        var response = await base.SendAsync(request, cancellationToken);
        try
        {
            await response.Content.LoadIntoBufferAsync(MaxResponseBytes, cancellationToken);
        }
        catch
        {
            response.Dispose();
            throw;
        }
        return response;
    }
}
