using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>The API over HTTPS with the reference's names (<c>-ssl-port</c>, <c>-ssl-cert</c>, <c>-ssl-key</c>,
/// <c>-ssl-pfx</c>, <c>-ssl-passphrase</c>; issue 12, point 7), with a self-signed certificate the test makes, and a
/// bad certificate refused at start-up with a message naming the parameter.</summary>
public sealed class HttpsTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _dir = Directory.CreateTempSubdirectory("bkcs-tls-").FullName;
    private readonly X509Certificate2 _certificate;
    private readonly RSA _key = RSA.Create(2048);

    public HttpsTests()
    {
        var request = new CertificateRequest("CN=localhost", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A client that trusts exactly the test's certificate.</summary>
    private HttpClient TrustingClient(int port) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == _certificate.GetCertHashString(),
        },
    }) { BaseAddress = new Uri($"https://127.0.0.1:{port}") };

    private async Task ServesTheApiOverHttps(string[] args, int port)
    {
        await using var server = await BackendServer.StartAsync(args);
        using var https = TrustingClient(port);
        var login = Accounts.UniqueLogin("tls");
        // The server is ready once its HTTP port accepts; Kestrel binds the HTTPS port just after it.
        HttpResponseMessage added;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                added = await https.GetAsync($"/account/add?login={login}&secret=s3cret-{Guid.NewGuid():N}&name=T", Ct);
                break;
            }
            catch (HttpRequestException ex) when (ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"no HTTPS on {port} within 10 s; server log: {server.Output}", ex);
                await Task.Delay(50, Ct);
            }
        }
        using var _ = added;
        var body = await added.Content.ReadAsStringAsync(Ct);
        Assert.True(added.IsSuccessStatusCode, $"{(int)added.StatusCode}: {body}");
        Assert.Equal(login, JsonNode.Parse(body)!["login"]!.GetValue<string>());
        // An error is the same JSON as over HTTP.
        using var refused = await https.GetAsync("/account/get", Ct);
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Equal("Invalid request: no login provided", JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!["message"]!.GetValue<string>());
        // Plain HTTP still answers on -port.
        using var plain = server.Client();
        Assert.Equal(400, (await plain.Get("/account/get")).Status);
    }

    [Fact]
    public async Task A_pem_certificate_and_key_serve_the_api_over_https()
    {
        var port = BackendServer.FreePort();
        var cert = Write("cert.pem", _certificate.ExportCertificatePem());
        var key = Write("key.pem", _key.ExportPkcs8PrivateKeyPem());
        await ServesTheApiOverHttps(["-ssl-port", port.ToString(CultureInfo.InvariantCulture), "-ssl-bind", "127.0.0.1", "-ssl-cert", cert, "-ssl-key", key], port);
    }

    [Fact]
    public async Task A_pfx_with_a_passphrase_serves_the_api_over_https()
    {
        var port = BackendServer.FreePort();
        var pfx = Path.Combine(_dir, "server.pfx");
        File.WriteAllBytes(pfx, _certificate.Export(X509ContentType.Pkcs12, "pfx-pass"));
        await ServesTheApiOverHttps(["-ssl-port", port.ToString(CultureInfo.InvariantCulture), "-ssl-pfx", pfx, "-ssl-passphrase", "pfx-pass"], port);
    }

    [Fact]
    public async Task An_encrypted_pem_key_takes_the_passphrase()
    {
        var port = BackendServer.FreePort();
        var cert = Write("cert.pem", _certificate.ExportCertificatePem());
        var key = Write("key.enc.pem", _key.ExportEncryptedPkcs8PrivateKeyPem("key-pass", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        await ServesTheApiOverHttps(["-ssl-port", port.ToString(CultureInfo.InvariantCulture), "-ssl-cert", cert, "-ssl-key", key, "-ssl-passphrase", "key-pass"], port);
    }

    [Fact]
    public async Task A_bad_certificate_setting_stops_the_start_with_a_message_naming_the_parameter()
    {
        var cert = Write("cert.pem", _certificate.ExportCertificatePem());
        var key = Write("key.pem", _key.ExportPkcs8PrivateKeyPem());
        var pfx = Path.Combine(_dir, "server.pfx");
        File.WriteAllBytes(pfx, _certificate.Export(X509ContentType.Pkcs12, "right"));
        var port = BackendServer.FreePort().ToString(CultureInfo.InvariantCulture);
        (string[] Args, string Message)[] cases =
        [
            (["-ssl-port", port], "-ssl-port needs a certificate"),
            (["-ssl-port", port, "-ssl-cert", cert], "go together"),
            (["-ssl-port", port, "-ssl-cert", Path.Combine(_dir, "missing.pem"), "-ssl-key", key], "invalid -ssl-cert: no file"),
            (["-ssl-port", port, "-ssl-cert", key, "-ssl-key", cert], "invalid -ssl-cert"),
            (["-ssl-port", port, "-ssl-pfx", pfx, "-ssl-passphrase", "wrong"], "wrong -ssl-passphrase"),
            (["-ssl-port", port, "-ssl-pfx", pfx, "-ssl-cert", cert, "-ssl-key", key], "give one"),
        ];
        foreach (var (args, message) in cases)
        {
            var home = BackendServer.CreateHome();
            try
            {
                var (code, stdout, stderr) = await BackendServer.RunCommandAsync(["run", "-home", home, "-port", BackendServer.FreePort().ToString(CultureInfo.InvariantCulture), .. args], TimeSpan.FromSeconds(60));
                Assert.True(code != 0, $"started with {string.Join(' ', args)}");
                Assert.Contains(message, stderr + stdout, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
            }
            finally
            {
                BackendServer.DeleteHome(home);
            }
        }
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _key.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
