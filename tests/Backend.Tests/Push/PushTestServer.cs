using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Tests.Push;

/// <summary>A test CA and a server certificate it signed for 127.0.0.1/localhost, as the push tests' local services
/// use them: the CA's PEM file is what a sender is given as <c>-push-ca-file</c>, so the sender checks a real chain
/// (no "accept any certificate" switch anywhere).</summary>
internal sealed class PushTestCertificates : IDisposable
{
    private PushTestCertificates(X509Certificate2 ca, X509Certificate2 server, string directory)
    {
        Ca = ca;
        Server = server;
        Directory = directory;
        CaFile = Path.Combine(directory, "push-ca.pem");
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
    }

    /// <summary>The CA (with its key, to sign client certificates for APNs certificate auth).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The server certificate with its key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>A temporary directory the files are written to (deleted on dispose).</summary>
    public string Directory { get; }

    /// <summary>The CA's PEM file.</summary>
    public string CaFile { get; }

    /// <summary>Makes a CA and a server certificate in a new temporary directory.</summary>
    public static PushTestCertificates Create()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("bkcs-push-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Backend.cs push test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var server = Issue(ca, "CN=localhost", serverAuth: true);
        return new PushTestCertificates(ca, server, dir);
    }

    /// <summary>A certificate signed by <paramref name="issuer"/> (server auth with 127.0.0.1/localhost names, or
    /// client auth), with its key, loadable by Kestrel and SslStream.</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, string subject, bool serverAuth)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(12);
        using var signed = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        // Re-imported from PKCS#12: on Linux an ephemeral key cannot serve TLS.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

/// <summary>A local HTTPS server (Kestrel on 127.0.0.1, a free port, HTTP/2 and HTTP/1.1 over TLS with
/// <see cref="PushTestCertificates.Server"/>) that answers every request with <paramref name="handler"/>: the
/// push tests build each service's fake on it (APNs, FCM and its token endpoint, a Web Push endpoint).</summary>
internal sealed class PushTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PushTestServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>https://127.0.0.1:PORT (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Starts a server. <paramref name="protocols"/> is HTTP/2 only by default (as APNs);
    /// <paramref name="tls"/> may ask for client certificates.</summary>
    public static async Task<PushTestServer> StartAsync(
        PushTestCertificates certificates,
        RequestDelegate handler,
        HttpProtocols protocols = HttpProtocols.Http2,
        Action<HttpsConnectionAdapterOptions>? tls = null)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(handler);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = protocols;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificates.Server;
                    tls?.Invoke(https);
                });
            });
        });
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).Port;
        return new PushTestServer(app, new Uri($"https://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
