using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Backend.Configuration;
using Backend.Push;
using Backend.Push.Apns;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Backend.Tests.Push.Apns;

public sealed class ApnsSenderTests
{
    private const string KeyId = "ABC123DEFG";
    private const string TeamId = "TEAM123456";
    private const string Topic = "com.example.app";

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A test CA, a .p8 key file for the sender and the fake holding only its public key.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private Setup(PushTestCertificates certs, FakeApns fake, string keyFile, TimeProvider time)
        {
            Certs = certs;
            Fake = fake;
            KeyFile = keyFile;
            Time = time;
        }

        public PushTestCertificates Certs { get; }

        public FakeApns Fake { get; }

        public string KeyFile { get; }

        public TimeProvider Time { get; }

        public ListLogger Logger { get; } = new();

        public static async Task<Setup> StartAsync(TimeProvider? time = null, bool fakeHasAnotherKey = false)
        {
            var certs = PushTestCertificates.Create();
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var keyFile = Path.Combine(certs.Directory, "AuthKey_" + KeyId + ".p8");
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var publicKey = ECDsa.Create();
            publicKey.ImportSubjectPublicKeyInfo((fakeHasAnotherKey ? other : key).ExportSubjectPublicKeyInfo(), out _);
            time ??= TimeProvider.System;
            var fake = await FakeApns.StartAsync(certs, publicKey, KeyId, TeamId, Topic, time);
            return new Setup(certs, fake, keyFile, time);
        }

        public ApnsOptions Options() => new() { Key = KeyFile, KeyId = KeyId, TeamId = TeamId, Topic = Topic, Host = Fake.BaseUrl.ToString() };

        public ApnsSender Sender(int timeoutMs = 10_000, ApnsOptions? options = null) =>
            new(Options(options ?? Options()), Microsoft.Extensions.Options.Options.Create(new PushOptions { CaFile = Certs.CaFile, TimeoutMs = timeoutMs }), Time, Logger);

        private static IOptions<ApnsOptions> Options(ApnsOptions options) => Microsoft.Extensions.Options.Options.Create(options);

        public async ValueTask DisposeAsync()
        {
            await Fake.DisposeAsync();
            Certs.Dispose();
        }
    }

    [Fact]
    public async Task A_send_arrives_over_http2_with_the_payload_the_headers_and_a_provider_token_the_public_key_verifies()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender();
        Assert.True(sender.Enabled);
        Assert.Equal(PushDevice.Apple, sender.Service);
        var token = NewToken();

        var result = await sender.SendAsync(token, new PushMessage("Hello \"world\" é 😀", Badge: 3, Sound: "default"), Ct);

        Assert.Equal(PushOutcome.Sent, result.Outcome);
        var got = Assert.Single(setup.Fake.Received);
        Assert.Equal(200, got.Status);
        Assert.Equal(token, got.Token);
        Assert.Equal("HTTP/2", got.Protocol);
        Assert.Equal(Topic, got.Topic);
        Assert.Equal("alert", got.PushType);
        Assert.Equal("10", got.Priority);
        var expiration = long.Parse(got.Expiration!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiration, DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddDays(2).ToUnixTimeSeconds());
        Assert.StartsWith("bearer ", got.Authorization, StringComparison.Ordinal);
        Assert.InRange(got.IssuedAt!.Value, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var aps = got.Json.GetProperty("aps");
        Assert.Equal("Hello \"world\" é 😀", aps.GetProperty("alert").GetString());
        Assert.Equal(3, aps.GetProperty("badge").GetInt32());
        Assert.Equal("default", aps.GetProperty("sound").GetString());
        // The JWT header names the key and ES256, the claims the team.
        var parts = got.Authorization!["bearer ".Length..].Split('.');
        using var header = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal(KeyId, header.RootElement.GetProperty("kid").GetString());
        Assert.Equal(64, System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]).Length);
    }

    [Fact]
    public async Task Data_keys_are_top_level_beside_aps_and_never_replace_it_and_a_message_without_alert_is_a_background_push()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender();
        var data = new Dictionary<string, string> { ["room"] = "42", ["from"] = "ann", ["aps"] = "overridden?" };

        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync(NewToken(), new PushMessage("hi", Data: data), Ct)).Outcome);
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync(NewToken(), new PushMessage(null, Data: data), Ct)).Outcome);

        var alert = setup.Fake.Received[0];
        Assert.Equal("42", alert.Json.GetProperty("room").GetString());
        Assert.Equal("ann", alert.Json.GetProperty("from").GetString());
        Assert.Equal(JsonValueKind.Object, alert.Json.GetProperty("aps").ValueKind);
        Assert.Equal("hi", alert.Json.GetProperty("aps").GetProperty("alert").GetString());
        Assert.Equal(1, alert.Json.EnumerateObject().Count(p => p.Name == "aps"));

        var background = setup.Fake.Received[1];
        Assert.Equal("background", background.PushType);
        Assert.Equal("5", background.Priority);
        Assert.Equal(1, background.Json.GetProperty("aps").GetProperty("content-available").GetInt32());
        Assert.False(background.Json.GetProperty("aps").TryGetProperty("alert", out _));
        Assert.Equal("42", background.Json.GetProperty("room").GetString());
    }

    [Fact]
    public async Task A_long_text_is_cut_on_a_character_boundary_to_fit_4096_bytes_and_huge_data_fails_without_a_call()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender();
        // 3-byte and 4-byte (surrogate pair) characters, so a cut in the middle of either would show.
        var text = string.Concat(Enumerable.Repeat("ab€😀", 2000));
        var data = new Dictionary<string, string> { ["k"] = new string('x', 1000) };

        var result = await sender.SendAsync(NewToken(), new PushMessage(text, Badge: 1, Data: data), Ct);

        Assert.Equal(PushOutcome.Sent, result.Outcome);
        var got = Assert.Single(setup.Fake.Received);
        Assert.InRange(got.Body.Length, 4000, 4096);
        var alert = got.Json.GetProperty("aps").GetProperty("alert").GetString()!;
        Assert.EndsWith("…", alert, StringComparison.Ordinal);
        Assert.StartsWith(alert[..^1], text, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', alert);
        Assert.Equal(new string('x', 1000), got.Json.GetProperty("k").GetString());

        var huge = new Dictionary<string, string> { ["k"] = new string('x', 5000) };
        var tooLarge = await sender.SendAsync(NewToken(), new PushMessage("hi", Data: huge), Ct);
        Assert.Equal(PushResult.Fail("PayloadTooLarge"), tooLarge);
        Assert.Single(setup.Fake.Received);
    }

    [Fact]
    public void The_payload_cut_fits_exactly_at_every_length_around_the_limit()
    {
        // Every text length that crosses the limit: the payload is within it and keeps as much text as fits.
        for (var n = 4050; n < 4110; n++)
        {
            var text = string.Concat(Enumerable.Repeat("😀", n / 2)) + (n % 2 == 1 ? "a" : "");
            var payload = ApnsPayload.Build(new PushMessage(text))!;
            Assert.InRange(payload.Length, 1, ApnsPayload.MaxBytes);
            var alert = JsonDocument.Parse(payload).RootElement.GetProperty("aps").GetProperty("alert").GetString()!;
            Assert.DoesNotContain('\uFFFD', alert);
            if (alert.Length < text.Length)
            {
                // The cut keeps as much as fits: one more character (a surrogate pair, or the last "a") would not.
                var kept = alert.Length - 1;
                Assert.StartsWith(alert[..kept], text, StringComparison.Ordinal);
                var more = text[..(kept + (char.IsHighSurrogate(text[kept]) ? 2 : 1))] + "…";
                var longer = JsonSerializer.SerializeToUtf8Bytes(new { aps = new { alert = more } }, Relaxed);
                Assert.True(longer.Length > ApnsPayload.MaxBytes, $"{n}: {payload.Length}, one more: {longer.Length}");
            }
        }
    }

    [Fact]
    public async Task The_provider_token_is_reused_renewed_at_50_minutes_and_never_older_than_an_hour()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var setup = await Setup.StartAsync(time);
        using var sender = setup.Sender();

        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync(NewToken(), new PushMessage("1"), Ct)).Outcome);
        time.Advance(TimeSpan.FromMinutes(49));
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync(NewToken(), new PushMessage("2"), Ct)).Outcome);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(PushOutcome.Sent, (await sender.SendAsync(NewToken(), new PushMessage("3"), Ct)).Outcome);
        var got = setup.Fake.Received;
        Assert.Equal(got[0].Authorization, got[1].Authorization);
        Assert.NotEqual(got[1].Authorization, got[2].Authorization);
        Assert.Equal(got[0].IssuedAt + (51 * 60), got[2].IssuedAt);

        // Over 5 hours in 7-minute steps: every token the fake sees is under 50 minutes old (it refuses over 60).
        for (var i = 0; i < 45; i++)
        {
            time.Advance(TimeSpan.FromMinutes(7));
            Assert.Equal(PushOutcome.Sent, (await sender.SendAsync(NewToken(), new PushMessage("x"), Ct)).Outcome);
            var last = setup.Fake.Received[^1];
            Assert.InRange(time.GetUtcNow().ToUnixTimeSeconds() - last.IssuedAt!.Value, 0, 50 * 60);
        }
        // Renewed about every 50 minutes (every 7th or 8th step), not more often: Apple refuses renewals under 20 minutes.
        var tokens = setup.Fake.Received.Select(r => r.Authorization).Distinct().Count();
        Assert.InRange(tokens, 7, 9);
    }

    [Fact]
    public async Task The_fake_refuses_a_token_older_than_an_hour_so_the_renewal_test_can_fail()
    {
        // The fake's clock is an hour and a bit ahead of the sender's: the sender's fresh token is "too old".
        var senderTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var fakeTime = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(61));
        await using var setup = await Setup.StartAsync(fakeTime);
        using var sender = new ApnsSender(setup.Options(), new PushOptions { CaFile = setup.Certs.CaFile }, senderTime, NullLogger.Instance, handler: null);

        var result = await sender.SendAsync(NewToken(), new PushMessage("x"), Ct);

        Assert.Equal(PushResult.Retry("ExpiredProviderToken"), result);
    }

    [Fact]
    public async Task A_key_the_fake_does_not_know_fails_as_InvalidProviderToken_logged_at_most_once_a_minute()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var setup = await Setup.StartAsync(time, fakeHasAnotherKey: true);
        using var sender = setup.Sender();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(PushResult.Fail("InvalidProviderToken"), await sender.SendAsync(NewToken(), new PushMessage("x"), Ct));
        }
        Assert.Single(setup.Logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("InvalidProviderToken", StringComparison.Ordinal));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(PushResult.Fail("InvalidProviderToken"), await sender.SendAsync(NewToken(), new PushMessage("x"), Ct));
        Assert.Equal(2, setup.Logger.Entries.Count(e => e.Level == LogLevel.Error));
        Assert.All(setup.Fake.Received, r => Assert.Equal(403, r.Status));
    }

    [Fact]
    public async Task Unregistered_and_bad_device_tokens_are_dead_other_400s_and_413_fail()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender();
        var cases = new (FakeApnsAnswer Answer, PushResult Expected)[]
        {
            (new(410, "Unregistered"), PushResult.Dead("Unregistered")),
            (new(410, "ExpiredToken"), PushResult.Dead("ExpiredToken")),
            (new(400, "BadDeviceToken"), PushResult.Dead("BadDeviceToken")),
            (new(400, "DeviceTokenNotForTopic"), PushResult.Dead("DeviceTokenNotForTopic")),
            (new(400, "BadTopic"), PushResult.Fail("BadTopic")),
            (new(400), PushResult.Fail("HTTP 400")),
            (new(413, "PayloadTooLarge"), PushResult.Fail("PayloadTooLarge")),
            (new(403, "BadCertificateEnvironment"), PushResult.Fail("BadCertificateEnvironment")),
        };
        foreach (var (answer, expected) in cases)
        {
            var token = NewToken();
            setup.Fake.Fail(token, answer);
            Assert.Equal(expected, await sender.SendAsync(token, new PushMessage("x"), Ct));
        }
        Assert.Equal(cases.Length, setup.Fake.Received.Count);
    }

    [Fact]
    public async Task Throttling_and_server_errors_are_retried_later_with_the_services_retry_after()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender();
        var cases = new (FakeApnsAnswer Answer, PushResult Expected)[]
        {
            (new(429, "TooManyRequests", RetryAfter: "120"), PushResult.Retry("TooManyRequests", TimeSpan.FromSeconds(120))),
            (new(500, "InternalServerError"), PushResult.Retry("InternalServerError")),
            (new(503, "ServiceUnavailable", RetryAfter: "7"), PushResult.Retry("ServiceUnavailable", TimeSpan.FromSeconds(7))),
            (new(502), PushResult.Retry("HTTP 502")),
        };
        foreach (var (answer, expected) in cases)
        {
            var token = NewToken();
            setup.Fake.Fail(token, answer);
            Assert.Equal(expected, await sender.SendAsync(token, new PushMessage("x"), Ct));
        }
        // Answered once, then the service is fine again: the retry is sent.
        var again = NewToken();
        setup.Fake.Fail(again, new FakeApnsAnswer(503, "ServiceUnavailable"), times: 1);
        Assert.Equal(PushOutcome.RetryLater, (await sender.SendAsync(again, new PushMessage("x"), Ct)).Outcome);
        Assert.Equal(PushResult.Sent, await sender.SendAsync(again, new PushMessage("x"), Ct));
    }

    [Fact]
    public async Task A_service_slower_than_push_timeout_is_retried_later_after_about_the_timeout_and_the_callers_cancellation_throws()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender(timeoutMs: 700);
        // The connection is made first, so the timing below is the request's alone.
        Assert.Equal(PushResult.Sent, await sender.SendAsync(NewToken(), new PushMessage("warm"), Ct));
        setup.Fake.FailAll(new FakeApnsAnswer(200, Delay: TimeSpan.FromSeconds(30)));

        var watch = Stopwatch.StartNew();
        var result = await sender.SendAsync(NewToken(), new PushMessage("x"), Ct);
        watch.Stop();

        Assert.Equal(PushResult.Retry("timeout"), result);
        Assert.InRange(watch.ElapsedMilliseconds, 600, 5_000); // the fake would answer after 30 s

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var send = sender.SendAsync(NewToken(), new PushMessage("x"), cancel.Token);
        await WaitUntil(() => setup.Fake.Received.Count == 3);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
    }

    [Fact]
    public async Task A_service_that_is_down_is_retried_later()
    {
        using var certs = PushTestCertificates.Create();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = Path.Combine(certs.Directory, "key.p8");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        // A port nothing listens on: a listener bound and closed.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new ApnsOptions { Key = keyFile, KeyId = KeyId, TeamId = TeamId, Topic = Topic, Host = $"https://127.0.0.1:{port}" };
        using var sender = new ApnsSender(options, new PushOptions { CaFile = certs.CaFile, TimeoutMs = 5000 }, TimeProvider.System, NullLogger.Instance, handler: null);

        var result = await sender.SendAsync(NewToken(), new PushMessage("x"), Ct);

        Assert.Equal(PushOutcome.RetryLater, result.Outcome);
        Assert.StartsWith("connection: ", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredProviderToken_is_retried_later_and_the_next_send_carries_a_new_token()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var setup = await Setup.StartAsync(time);
        using var sender = setup.Sender();
        Assert.Equal(PushResult.Sent, await sender.SendAsync(NewToken(), new PushMessage("x"), Ct));
        time.Advance(TimeSpan.FromMinutes(25));
        setup.Fake.FailAll(new FakeApnsAnswer(403, "ExpiredProviderToken"), times: 1);

        Assert.Equal(PushResult.Retry("ExpiredProviderToken"), await sender.SendAsync(NewToken(), new PushMessage("x"), Ct));
        Assert.Equal(PushResult.Sent, await sender.SendAsync(NewToken(), new PushMessage("x"), Ct));

        var got = setup.Fake.Received;
        Assert.Equal(got[0].Authorization, got[1].Authorization);
        Assert.NotEqual(got[1].Authorization, got[2].Authorization);
        Assert.Equal(got[0].IssuedAt + (25 * 60), got[2].IssuedAt);
    }

    [Fact]
    public async Task Five_hundred_concurrent_sends_share_one_http2_connection()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender();

        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => sender.SendAsync(NewToken(), new PushMessage("n" + i), Ct)));

        Assert.All(results, r => Assert.Equal(PushResult.Sent, r));
        Assert.Equal(500, setup.Fake.Received.Count);
        Assert.Equal(1, setup.Fake.Connections);
        // One provider token for all of them, made once.
        Assert.Single(setup.Fake.Received.Select(r => r.Authorization).Distinct());
    }

    [Fact]
    public async Task The_fake_counts_connections_so_the_multiplexing_test_can_fail()
    {
        await using var setup = await Setup.StartAsync();
        using var one = setup.Sender();
        using var two = setup.Sender();
        Assert.Equal(PushResult.Sent, await one.SendAsync(NewToken(), new PushMessage("x"), Ct));
        Assert.Equal(PushResult.Sent, await two.SendAsync(NewToken(), new PushMessage("x"), Ct));
        Assert.Equal(2, setup.Fake.Connections);
    }

    [Theory]
    [InlineData("pkcs12", "secret")]
    [InlineData("pkcs12", "")]
    [InlineData("pem", "")]
    [InlineData("pem", "secret")]
    public async Task Certificate_auth_sends_the_client_certificate_and_takes_the_topic_from_its_uid(string format, string passphrase)
    {
        using var certs = PushTestCertificates.Create();
        await using var fake = await FakeApns.StartWithClientCertificatesAsync(certs, Topic);
        using var client = PushTestCertificates.Issue(certs.Ca, $"CN=Apple Push Services: {Topic}, OID.0.9.2342.19200300.100.1.1={Topic}, C=US", serverAuth: false);
        var file = WriteCertificate(certs.Directory, client, format, passphrase);
        using var sender = new ApnsSender(
            Options.Create(new ApnsOptions { Cert = file, Passphrase = passphrase, Host = fake.BaseUrl.ToString() }),
            Options.Create(new PushOptions { CaFile = certs.CaFile }),
            TimeProvider.System,
            NullLogger<ApnsSender>.Instance);

        Assert.True(sender.Enabled);
        Assert.Equal(Topic, sender.Topic);
        var token = NewToken();
        Assert.Equal(PushResult.Sent, await sender.SendAsync(token, new PushMessage("hello"), Ct));
        var got = Assert.Single(fake.Received);
        Assert.Equal(token, got.Token);
        Assert.Null(got.Authorization);
        Assert.Equal(Topic, got.Topic);
        Assert.Equal("hello", got.Json.GetProperty("aps").GetProperty("alert").GetString());

        // Without a client certificate the fake's TLS handshake fails: the test above is not passing by accident.
        using var plain = PushHttp.CreateClient(PushHttp.CreateHandler(new PushOptions { CaFile = certs.CaFile }), new PushOptions());
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fake.BaseUrl, "/3/device/" + token)) { Content = new StringContent("{\"aps\":{}}") };
        request.Headers.Add("apns-topic", Topic);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await plain.SendAsync(request, Ct);
            response.EnsureSuccessStatusCode();
        });
        Assert.Single(fake.Received);
    }

    [Fact]
    public async Task Certificate_auth_with_a_certificate_from_another_ca_is_refused_and_retried_later()
    {
        using var certs = PushTestCertificates.Create();
        using var otherCa = PushTestCertificates.Create();
        await using var fake = await FakeApns.StartWithClientCertificatesAsync(certs, Topic);
        using var client = PushTestCertificates.Issue(otherCa.Ca, $"CN=x, OID.0.9.2342.19200300.100.1.1={Topic}", serverAuth: false);
        var file = WriteCertificate(certs.Directory, client, "pkcs12", "");
        using var sender = new ApnsSender(new ApnsOptions { Cert = file, Host = fake.BaseUrl.ToString() }, new PushOptions { CaFile = certs.CaFile }, TimeProvider.System, NullLogger.Instance, handler: null);

        var result = await sender.SendAsync(NewToken(), new PushMessage("x"), Ct);

        Assert.Equal(PushOutcome.RetryLater, result.Outcome);
        Assert.Empty(fake.Received);
    }

    [Fact]
    public void The_topic_option_wins_over_the_certificate_uid_and_a_certificate_without_uid_needs_it()
    {
        using var certs = PushTestCertificates.Create();
        using var noUid = PushTestCertificates.Issue(certs.Ca, "CN=no uid", serverAuth: false);
        var file = WriteCertificate(certs.Directory, noUid, "pkcs12", "");
        var missing = Assert.Throws<ConfigException>(() => new ApnsSender(new ApnsOptions { Cert = file }, new PushOptions(), TimeProvider.System, NullLogger.Instance, null));
        Assert.Contains("-apn-topic", missing.Message, StringComparison.Ordinal);
        using var sender = new ApnsSender(new ApnsOptions { Cert = file, Topic = "com.other" }, new PushOptions(), TimeProvider.System, NullLogger.Instance, null);
        Assert.Equal("com.other", sender.Topic);
    }

    [Fact]
    public void The_host_is_apn_host_else_production_or_sandbox()
    {
        using var certs = PushTestCertificates.Create();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = Path.Combine(certs.Directory, "key.p8");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        ApnsSender Make(bool production, string host) =>
            new(new ApnsOptions { Key = keyFile, KeyId = KeyId, TeamId = TeamId, Topic = Topic, Production = production, Host = host }, new PushOptions(), TimeProvider.System, NullLogger.Instance, null);
        using (var sandbox = Make(false, "")) Assert.Equal("https://api.sandbox.push.apple.com/3/device/", sandbox.DeviceUrl);
        using (var production = Make(true, "")) Assert.Equal("https://api.push.apple.com/3/device/", production.DeviceUrl);
        using (var local = Make(true, "https://127.0.0.1:2197/")) Assert.Equal("https://127.0.0.1:2197/3/device/", local.DeviceUrl);
        var bad = Assert.Throws<ConfigException>(() => Make(false, "not a url"));
        Assert.Contains("-apn-host", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_key_or_certificate_the_sender_is_disabled_and_a_send_fails_not_configured()
    {
        using var sender = new ApnsSender(Options.Create(new ApnsOptions()), Options.Create(new PushOptions()), TimeProvider.System, NullLogger<ApnsSender>.Instance);
        Assert.False(sender.Enabled);
        Assert.Equal(PushResult.Fail("not configured"), await sender.SendAsync(NewToken(), new PushMessage("x"), Ct));
        Assert.Null(sender.CheckToken(NewToken()));
    }

    public static TheoryData<string, string> BadConfigs => new()
    {
        { "missing key file", "-apn-key" },
        { "not a key", "-apn-key" },
        { "rsa key", "-apn-key" },
        { "p384 key", "-apn-key" },
        { "no key id", "-apn-key-id" },
        { "no team id", "-apn-team-id" },
        { "no topic", "-apn-topic" },
        { "missing cert file", "-apn-cert" },
        { "unreadable cert", "-apn-cert" },
        { "wrong passphrase", "-apn-cert" },
        { "pem without key", "-apn-cert" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Bad_configuration_is_a_config_exception_naming_the_parameter(string what, string parameter)
    {
        using var certs = PushTestCertificates.Create();
        string Write(string name, string text)
        {
            var path = Path.Combine(certs.Directory, name);
            File.WriteAllText(path, text);
            return path;
        }
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var good = Write("good.p8", p256.ExportPkcs8PrivateKeyPem());
        using var client = PushTestCertificates.Issue(certs.Ca, $"CN=x, OID.0.9.2342.19200300.100.1.1={Topic}", serverAuth: false);
        ApnsOptions Token(string key) => new() { Key = key, KeyId = KeyId, TeamId = TeamId, Topic = Topic };
        var options = what switch
        {
            "missing key file" => Token(Path.Combine(certs.Directory, "none.p8")),
            "not a key" => Token(Write("text.p8", "hello")),
            "rsa key" => Token(Write("rsa.p8", RSA.Create(2048).ExportPkcs8PrivateKeyPem())),
            "p384 key" => Token(Write("p384.p8", ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportPkcs8PrivateKeyPem())),
            "no key id" => Token(good),
            "no team id" => Token(good),
            "no topic" => Token(good),
            "missing cert file" => new ApnsOptions { Cert = Path.Combine(certs.Directory, "none.p12") },
            "unreadable cert" => new ApnsOptions { Cert = Write("bad.p12", "not a certificate") },
            "wrong passphrase" => new ApnsOptions { Cert = WriteCertificate(certs.Directory, client, "pkcs12", "secret"), Passphrase = "other" },
            "pem without key" => new ApnsOptions { Cert = Write("nokey.pem", client.ExportCertificatePem()) },
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        if (what == "no key id") options.KeyId = "";
        if (what == "no team id") options.TeamId = "";
        if (what == "no topic") options.Topic = "";

        var ex = Assert.Throws<ConfigException>(() => new ApnsSender(options, new PushOptions(), TimeProvider.System, NullLogger.Instance, null));

        Assert.Contains(parameter + " ", ex.Message + " ", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("abc", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false)] // 63
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)] // 64
    [InlineData("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", true)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde/", false)]
    public void A_device_token_is_64_to_200_hex_digits(string token, bool ok)
    {
        using var sender = new ApnsSender(new ApnsOptions(), new PushOptions(), TimeProvider.System, NullLogger.Instance, null);
        var message = sender.CheckToken(token);
        if (ok) Assert.Null(message);
        else Assert.Contains("hex digits", message, StringComparison.Ordinal);
        Assert.Null(sender.CheckToken(new string('a', 200)));
        Assert.NotNull(sender.CheckToken(new string('a', 201)));
    }

    [Fact]
    public async Task A_malformed_token_is_not_sent()
    {
        await using var setup = await Setup.StartAsync();
        using var sender = setup.Sender();
        Assert.Equal(PushResult.Dead("BadDeviceToken"), await sender.SendAsync("../../x?y", new PushMessage("x"), Ct));
        Assert.Empty(setup.Fake.Received);
    }

    private static string WriteCertificate(string directory, X509Certificate2 certificate, string format, string passphrase)
    {
        var path = Path.Combine(directory, Guid.NewGuid().ToString("N") + (format == "pem" ? ".pem" : ".p12"));
        if (format == "pem")
        {
            using var key = certificate.GetECDsaPrivateKey()!;
            var keyPem = passphrase.Length == 0
                ? key.ExportPkcs8PrivateKeyPem()
                : key.ExportEncryptedPkcs8PrivateKeyPem(passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
            File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + keyPem + "\n");
        }
        else
        {
            File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, passphrase.Length == 0 ? null : passphrase));
        }
        return path;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "condition not met in 20 s");
            await Task.Delay(10, Ct);
        }
    }

    internal sealed class ListLogger : ILogger<ApnsSender>
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

        public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. _entries];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            _entries.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}
