using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Backend.Configuration;
using Backend.Push;
using Backend.Push.WebPush;
using Microsoft.Extensions.Logging;

namespace Backend.Tests.Push.WebPush;

/// <summary>The Web Push sender against <see cref="FakeWebPushService"/>, which checks VAPID and decrypts every
/// notification as a browser would; the subscription checks (CheckToken) and the private-address refusal.</summary>
public sealed class WebPushSenderTests : IAsyncLifetime
{
    private readonly PushTestCertificates _certs = PushTestCertificates.Create();
    private readonly (string Public, string Private) _vapid = NewVapidKeys();
    private readonly ListLogger _log = new();
    private FakeWebPushService _service = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _service = await new FakeWebPushService(_vapid.Public).StartAsync(_certs);

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        _certs.Dispose();
    }

    internal static (string Public, string Private) NewVapidKeys()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(true);
        return (Base64Url.EncodeToString([4, .. p.Q.X!, .. p.Q.Y!]), Base64Url.EncodeToString(p.D!));
    }

    private WebPushSender Sender(bool allowPrivate = true, int timeoutMs = 10_000, string? subject = "mailto:ops@example.com",
        (string Public, string Private)? keys = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null) => new(
        new WebPushOptions
        {
            PublicKey = (keys ?? _vapid).Public,
            PrivateKey = (keys ?? _vapid).Private,
            Subject = subject ?? "",
            AllowPrivate = allowPrivate,
            Ttl = 3600,
        },
        new PushOptions { CaFile = _certs.CaFile, TimeoutMs = timeoutMs },
        TimeProvider.System,
        _log,
        resolve);

    [Fact]
    public async Task A_notification_decrypts_to_the_expected_json_for_raw_and_base64url_subscriptions()
    {
        using var sender = Sender();
        Assert.True(sender.Enabled);
        Assert.Equal(PushDevice.WebPush, sender.Service);
        var (id, json) = _service.Subscribe();
        Assert.Null(sender.CheckToken(json));
        var data = new Dictionary<string, string> { ["room"] = "7", ["from"] = "ann" };
        var result = await sender.SendAsync(json, new PushMessage("héllo ✓", Badge: 2, Sound: "ding", Data: data), Ct);
        Assert.True(result == PushResult.Sent, $"{result} {string.Join("; ", _service.Refusals)}");

        var (id2, json2) = _service.Subscribe();
        var asBase64 = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json2));
        Assert.Null(sender.CheckToken(asBase64));
        Assert.Equal(PushResult.Sent, await sender.SendAsync(asBase64, new PushMessage(null, Badge: 0), Ct));

        var deliveries = _service.Deliveries.ToArray();
        Assert.Equal(2, deliveries.Length);
        Assert.Equal(id, deliveries[0].Id);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"body":"héllo ✓","badge":2,"data":{"room":"7","from":"ann"}}"""), JsonNode.Parse(deliveries[0].Payload)), deliveries[0].Payload);
        Assert.Equal(3600, deliveries[0].Ttl);
        Assert.Null(deliveries[0].Urgency);
        Assert.Equal(id2, deliveries[1].Id);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"badge":0}"""), JsonNode.Parse(deliveries[1].Payload)), deliveries[1].Payload);
        Assert.Empty(_service.Refusals);
    }

    [Fact]
    public async Task A_gone_subscription_is_dead_and_throttling_or_server_errors_are_retried_later()
    {
        using var sender = Sender();
        var (notFound, notFoundJson) = _service.Subscribe();
        var (gone, goneJson) = _service.Subscribe();
        var (busy, busyJson) = _service.Subscribe();
        var (broken, brokenJson) = _service.Subscribe();
        var (large, largeJson) = _service.Subscribe();
        var (ok200, ok200Json) = _service.Subscribe();
        var (ok202, ok202Json) = _service.Subscribe();
        _service.Script = id => id == notFound ? (404, null) : id == gone ? (410, null) : id == busy ? (429, "30")
            : id == broken ? (500, null) : id == large ? (413, null) : id == ok200 ? (200, null) : id == ok202 ? (202, null) : null;
        // Some services answer 200 or 202 rather than RFC 8030's 201: accepted all the same.
        Assert.Equal(PushResult.Sent, await sender.SendAsync(ok200Json, new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Sent, await sender.SendAsync(ok202Json, new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Dead("HTTP 404"), await sender.SendAsync(notFoundJson, new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Dead("HTTP 410"), await sender.SendAsync(goneJson, new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Retry("HTTP 429", TimeSpan.FromSeconds(30)), await sender.SendAsync(busyJson, new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Retry("HTTP 500"), await sender.SendAsync(brokenJson, new PushMessage("a"), Ct));
        Assert.Equal(PushResult.Fail("HTTP 413"), await sender.SendAsync(largeJson, new PushMessage("a"), Ct));
        Assert.Empty(_service.Deliveries);
    }

    [Fact]
    public async Task A_vapid_key_the_service_does_not_know_fails_and_is_logged_as_an_error()
    {
        using var sender = Sender(keys: NewVapidKeys());
        var (_, json) = _service.Subscribe();
        var result = await sender.SendAsync(json, new PushMessage("a"), Ct);
        Assert.Equal(PushResult.Fail("HTTP 401"), result);
        Assert.Contains("application server key", Assert.Single(_service.Refusals), StringComparison.Ordinal);
        Assert.Equal(1, _log.Count(LogLevel.Error, "refused the VAPID authentication"));
    }

    [Fact]
    public async Task A_send_that_times_out_or_cannot_connect_is_retried_later()
    {
        using var sender = Sender(timeoutMs: 500);
        var (_, json) = _service.Subscribe();
        _service.Script = _ => (0, null);
        Assert.Equal(PushResult.Retry("timeout"), await sender.SendAsync(json, new PushMessage("a"), Ct));

        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (_, closed) = _service.Subscribe(new Uri($"https://127.0.0.1:{port}"));
        var down = await sender.SendAsync(closed, new PushMessage("a"), Ct);
        Assert.Equal(PushOutcome.RetryLater, down.Outcome);
        Assert.StartsWith("network", down.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_vapid_configuration_is_a_config_error_naming_the_parameter()
    {
        var other = NewVapidKeys();
        var cases = new (Func<WebPushSender> Make, string Names)[]
        {
            (() => Sender(keys: ("not base64 !", _vapid.Private)), "-webpush-public-key"),
            (() => Sender(keys: (Base64Url.EncodeToString(new byte[33]), _vapid.Private)), "-webpush-public-key"),
            (() => Sender(keys: (Base64Url.EncodeToString([4, .. new byte[64]]), _vapid.Private)), "-webpush-public-key"),
            (() => Sender(keys: (_vapid.Public, Base64Url.EncodeToString(new byte[31]))), "-webpush-private-key"),
            (() => Sender(keys: (_vapid.Public, other.Private)), "-webpush-private-key"),
            (() => Sender(keys: (_vapid.Public, "")), "-webpush-private-key"),
            (() => Sender(keys: ("", _vapid.Private)), "-webpush-public-key"),
            (() => Sender(subject: ""), "-webpush-subject"),
            (() => Sender(subject: "http://example.com"), "-webpush-subject"),
            (() => Sender(subject: "ops@example.com"), "-webpush-subject"),
        };
        foreach (var (make, name) in cases)
        {
            var ex = Assert.Throws<ConfigException>(() => make());
            Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        }
        using var fine = Sender(subject: "https://example.com/contact");
        Assert.True(fine.Enabled);
        using var off = new WebPushSender(new WebPushOptions(), new PushOptions(), TimeProvider.System, _log);
        Assert.False(off.Enabled);
    }

    [Fact]
    public void Check_token_refuses_malformed_subscriptions_and_private_endpoints_unless_allowed()
    {
        using var strict = Sender(allowPrivate: false);
        using var lax = Sender(allowPrivate: true);
        string Sub(string endpoint, string? p256dh = null, string? auth = null)
        {
            var (_, json) = _service.Subscribe();
            var node = JsonNode.Parse(json)!.AsObject();
            node["endpoint"] = endpoint;
            if (p256dh is not null) node["keys"]!["p256dh"] = p256dh;
            if (auth is not null) node["keys"]!["auth"] = auth;
            return node.ToJsonString();
        }
        Assert.Null(strict.CheckToken(Sub("https://fcm.googleapis.com/fcm/send/abc")));
        Assert.Null(strict.CheckToken(Sub("https://8.8.8.8/push/x")));
        Assert.NotNull(strict.CheckToken("{not json"));
        Assert.NotNull(strict.CheckToken("bm90IGpzb24"));
        Assert.NotNull(strict.CheckToken("""{"endpoint":"https://push.example.com/x"}"""));
        Assert.NotNull(strict.CheckToken(Sub("/relative")));
        Assert.NotNull(strict.CheckToken(Sub("ftp://push.example.com/x")));
        foreach (var endpoint in new[]
        {
            "http://push.example.com/x", "https://127.0.0.1/x", "https://127.1.2.3:8443/x", "https://10.1.2.3/x",
            "https://192.168.0.10/x", "https://172.16.5.4/x", "https://169.254.169.254/latest", "https://[::1]/x",
            "https://[fd00::1]/x", "https://[fe80::1]/x", "https://[::ffff:127.0.0.1]/x", "https://localhost/x",
            "https://LOCALHOST./x", "https://api.localhost/x", "https://0.0.0.0/x",
        })
        {
            Assert.True(strict.CheckToken(Sub(endpoint)) is not null, endpoint);
            Assert.True(lax.CheckToken(Sub(endpoint)) is null, endpoint);
        }
        Assert.NotNull(strict.CheckToken(Sub("https://push.example.com/x", auth: Base64Url.EncodeToString(new byte[8]))));
        Assert.NotNull(strict.CheckToken(Sub("https://push.example.com/x", p256dh: Base64Url.EncodeToString(new byte[65]))));
        Assert.NotNull(strict.CheckToken(Sub("https://push.example.com/x", p256dh: "!!")));
        Assert.NotNull(lax.CheckToken(Sub("https://push.example.com/x", auth: Base64Url.EncodeToString(new byte[17]))));
    }

    [Fact]
    public async Task Send_checks_the_stored_token_again()
    {
        using var sender = Sender(allowPrivate: false);
        // A subscription to the local service, stored while private endpoints were allowed.
        var (_, json) = _service.Subscribe();
        var result = await sender.SendAsync(json, new PushMessage("a"), Ct);
        Assert.Equal(PushOutcome.Failed, result.Outcome);
        Assert.Equal(0, _service.Requests);
        Assert.Equal(PushOutcome.Failed, (await sender.SendAsync("garbage", new PushMessage("a"), Ct)).Outcome);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("142.250.1.1", false)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void The_address_check_refuses_loopback_private_and_link_local_ranges(string address, bool isPrivate) =>
        Assert.Equal(isPrivate, WebPushSubscription.IsPrivateAddress(IPAddress.Parse(address)));

    [Fact]
    public async Task A_name_that_resolves_to_a_private_address_is_refused_when_connecting()
    {
        var resolved = new List<string>();
        Task<IPAddress[]> Resolve(string host, CancellationToken ct)
        {
            lock (resolved) resolved.Add(host);
            return Task.FromResult(new[] { IPAddress.Loopback });
        }
        using var sender = Sender(allowPrivate: false, resolve: Resolve);
        // A public-looking name: CheckToken takes it; the (test) resolver says 127.0.0.1, where the service listens.
        var (_, json) = _service.Subscribe(new Uri($"https://push.example.test:{_service.BaseUrl.Port}"));
        Assert.Null(sender.CheckToken(json));
        var result = await sender.SendAsync(json, new PushMessage("a"), Ct);
        Assert.Equal(PushOutcome.Failed, result.Outcome);
        Assert.Contains("private address", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["push.example.test"], resolved);
        Assert.Equal(0, _service.Requests);
    }
}
