using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Backend.Configuration;

namespace Backend.Push;

/// <summary>The HTTP side shared by the push senders: one <see cref="SocketsHttpHandler"/> per service with a single
/// HTTP/2 connection that every send multiplexes over (APNs asks for few connections; FCM and Web Push services speak
/// HTTP/2 too), the extra CA of <c>-push-ca-file</c>, and the <c>Retry-After</c> header.</summary>
internal static class PushHttp
{
    /// <summary>A handler for one service: HTTP/2 (one connection, many streams), keep-alive pings while sends are in
    /// flight, connections recycled after 15 minutes idle, <paramref name="clientCertificate"/> for certificate auth.
    /// A CA file that cannot be read is a <see cref="ConfigException"/> naming <c>-push-ca-file</c>.</summary>
    public static SocketsHttpHandler CreateHandler(PushOptions options, X509Certificate2? clientCertificate = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(15),
            ConnectTimeout = TimeSpan.FromMilliseconds(options.TimeoutMs),
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (clientCertificate is not null) handler.SslOptions.ClientCertificates = [clientCertificate];
        if (!string.IsNullOrEmpty(options.CaFile))
        {
            var roots = LoadCaFile(options.CaFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && ChainsTo(certificate, roots));
        }
        return handler;
    }

    /// <summary>An <see cref="HttpClient"/> over <paramref name="handler"/> whose requests default to HTTP/2 (falling
    /// back to HTTP/1.1 only where the server does not speak it) and time out after <c>-push-timeout</c>.</summary>
    public static HttpClient CreateClient(HttpMessageHandler handler, PushOptions options)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        return new HttpClient(handler, disposeHandler: true)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Timeout = TimeSpan.FromMilliseconds(options.TimeoutMs),
        };
    }

    /// <summary>The response's <c>Retry-After</c> (seconds or an HTTP date, never negative), or null.</summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.RetryAfter is not { } retry) return null;
        if (retry.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (retry.Date is { } date) return date <= now ? TimeSpan.Zero : date - now;
        return null;
    }

    /// <summary>The CA certificates of a PEM file.</summary>
    public static X509Certificate2Collection LoadCaFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture, $"invalid -push-ca-file {path}: {ex.Message}"));
        }
        if (roots.Count == 0) throw new ConfigException($"invalid -push-ca-file {path}: no PEM certificate in it");
        return roots;
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2Collection roots)
    {
        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
