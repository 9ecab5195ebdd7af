using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Backend.Tests.Push;
using Backend.Tests.Push.Apns;
using Backend.Tests.Push.Fcm;
using Backend.Tests.Push.WebPush;

namespace Backend.Tests.Server;

/// <summary>The whole path on a real <c>bkcs</c> server on the run's database pool, configured with the three
/// built-in services pointed at local servers that speak their protocols (an HTTP/2 APNs checking the ES256 token, an
/// FCM with its OAuth token endpoint checking the service account's assertion, a Web Push service decrypting the
/// payload): a device of each kind gets the message trigger's notification, a device APNs reports gone disappears,
/// and a 429 with Retry-After is delivered on the retry.</summary>
public sealed class PushServicesTests : IAsyncLifetime
{
    private const string KeyId = "KEY1234567";
    private const string TeamId = "TEAM123456";
    private const string Topic = "com.example.push";
    private const string Project = "push-e2e";
    private const string Email = "push@push-e2e.iam.gserviceaccount.com";

    private readonly PushTestCertificates _certs = PushTestCertificates.Create();
    private readonly RSA _fcmKey = RSA.Create(2048);
    private FakeApns? _apns;
    private FakeFcm? _fcm;
    private FakeWebPushService? _web;
    private BackendServer? _server;

    public async ValueTask InitializeAsync()
    {
        using var apnsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p8 = Path.Combine(_certs.Directory, "AuthKey.p8");
        await File.WriteAllTextAsync(p8, apnsKey.ExportPkcs8PrivateKeyPem(), TestContext.Current.CancellationToken);
        var apnsPublic = ECDsa.Create();
        apnsPublic.ImportSubjectPublicKeyInfo(apnsKey.ExportSubjectPublicKeyInfo(), out _);
        _apns = await FakeApns.StartAsync(_certs, apnsPublic, KeyId, TeamId, Topic);

        _fcm = await new FakeFcm(RSA.Create(_fcmKey.ExportParameters(false)), Email, Project, TimeProvider.System).StartAsync(_certs);
        var serviceAccount = Path.Combine(_certs.Directory, "service-account.json");
        await File.WriteAllTextAsync(serviceAccount, new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = Project,
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = _fcmKey.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = Email,
            ["token_uri"] = _fcm.TokenUri.ToString(),
        }.ToJsonString(), TestContext.Current.CancellationToken);

        var vapid = WebPushSenderTests.NewVapidKeys();
        _web = await new FakeWebPushService(vapid.Public).StartAsync(_certs);

        _server = await BackendServer.StartAsync([
            "-push-ca-file", _certs.CaFile, "-push-retry-delay", "100",
            "-apn-key", p8, "-apn-key-id", KeyId, "-apn-team-id", TeamId, "-apn-topic", Topic, "-apn-host", _apns.BaseUrl.ToString(),
            "-fcm-key", serviceAccount, "-fcm-host", _fcm.BaseUrl.ToString(),
            "-webpush-public-key", vapid.Public, "-webpush-private-key", vapid.Private, "-webpush-subject", "mailto:ops@example.com",
            "-webpush-allow-private",
        ]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (_apns is not null) await _apns.DisposeAsync();
        if (_fcm is not null) await _fcm.DisposeAsync();
        if (_web is not null) await _web.DisposeAsync();
        _fcmKey.Dispose();
        _certs.Dispose();
    }

    private static string Hex() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static async Task Until(Func<bool> done, string what)
    {
        for (var i = 0; i < 200 && !done(); i++) await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.True(done(), "waited 10 s for " + what);
    }

    [Fact]
    public async Task A_message_reaches_an_apple_an_fcm_and_a_web_push_device_of_the_offline_recipient()
    {
        var a = await Accounts.Add(_server!, null, ("alias", "Alice"));
        var b = await Accounts.Add(_server!, null);
        using var cb = _server!.Client(b);
        var apple = Hex();
        var fcmToken = "fcm-" + Guid.NewGuid().ToString("N");
        var (webId, subscription) = _web!.Subscribe();
        ApiAssert.Ok(await cb.Get("/account/update", ("device_id", apple)));
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "fcm://" + fcmToken)));
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "webpush://" + Convert.ToBase64String(Encoding.UTF8.GetBytes(subscription)).TrimEnd('=').Replace('+', '-').Replace('/', '_'))));

        using var ca = _server.Client(a);
        ApiAssert.Ok(await ca.Get("/message/add", ("id", b.Id), ("msg", "hello over three services")));

        await Until(() => _apns!.Received.Any(r => r.Token == apple), "APNs");
        var onApple = _apns!.Received.First(r => r.Token == apple);
        Assert.Equal("Alice: hello over three services", onApple.Json.GetProperty("aps").GetProperty("alert").GetString());
        Assert.Equal(Topic, onApple.Topic);

        await Until(() => _fcm!.Messages.Any(m => m.Body["message"]?["token"]?.ToString() == fcmToken), "FCM");
        var onFcm = _fcm!.Messages.First(m => m.Body["message"]?["token"]?.ToString() == fcmToken).Body["message"]!;
        Assert.Equal("Alice: hello over three services", onFcm["notification"]!["body"]!.ToString());

        await Until(() => _web!.Deliveries.Any(d => d.Id == webId), "Web Push");
        var onWeb = JsonNode.Parse(_web!.Deliveries.First(d => d.Id == webId).Payload)!;
        Assert.Equal("Alice: hello over three services", onWeb["body"]!.ToString());
    }

    [Fact]
    public async Task A_device_apns_reports_unregistered_is_removed_and_a_429_with_retry_after_is_sent_on_the_retry()
    {
        var a = await Accounts.Add(_server!, null, ("alias", "Pinger"));
        var b = await Accounts.Add(_server!, null);
        using var cb = _server!.Client(b);
        var gone = Hex();
        var busy = Hex();
        _apns!.Fail(gone, new FakeApnsAnswer(410, "Unregistered"));
        _apns.Fail(busy, new FakeApnsAnswer(429, "TooManyRequests", RetryAfter: "1"), times: 1);
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "apple://" + gone)));
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "apn://" + busy)));

        using var ca = _server.Client(a);
        ApiAssert.Ok(await ca.Get("/counter/incr", ("id", b.Id), ("ping", "1")));

        // The 429 first, then after its Retry-After (1 s) the same notification again, accepted.
        await Until(() => _apns.Received.Count(r => r.Token == busy) >= 2, "the retry after 429");
        var tries = _apns.Received.Where(r => r.Token == busy).ToList();
        Assert.True(tries[1].At - tries[0].At >= TimeSpan.FromSeconds(0.9), $"retried after {(tries[1].At - tries[0].At).TotalMilliseconds} ms, before Retry-After");
        Assert.Equal("Pinger pinged you", tries[1].Json.GetProperty("aps").GetProperty("alert").GetString());

        await Until(() => _apns.Received.Any(r => r.Token == gone), "the dead device's send");
        JsonArray devices = [];
        for (var i = 0; i < 100; i++)
        {
            devices = (await cb.Get("/device/get")).Json!["data"]!.AsArray();
            if (devices.Count == 1) break;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Equal(["apple://" + busy], devices.Select(d => d!["device_id"]!.ToString()));
    }
}
