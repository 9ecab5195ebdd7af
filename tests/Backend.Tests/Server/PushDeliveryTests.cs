using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Backend.Api.Accounts;
using Backend.DynamoDb;
using Backend.Hosting;
using Backend.MySql;
using Backend.Postgres;
using Backend.Push;
using Backend.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Tests.Server;

/// <summary>An app's own push service (the <c>test://</c> scheme): what the queue hands it, scripted by the token.
/// <c>dead*</c> tokens are reported gone, <c>retry*</c> ones answer "later" (with <c>Retry-After: 0</c>), <c>fail*</c>
/// ones are refused, <c>block*</c> ones wait until <see cref="Release"/>; every other token is sent. Tokens are
/// letters and digits (<see cref="CheckToken"/>).</summary>
internal sealed class ScriptedPushSender : IPushSender
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Service => "test";

    public bool Enabled => true;

    /// <summary>Every send, in order: (token, message).</summary>
    public Channel<(string Token, PushMessage Message)> Sends { get; } = Channel.CreateUnbounded<(string, PushMessage)>();

    /// <summary>Tries per token and text.</summary>
    public ConcurrentDictionary<(string Token, string? Text), int> Tries { get; } = new();

    public void Release() => _release.TrySetResult();

    public string? CheckToken(string token) =>
        token.Length is > 0 and <= 64 && token.All(char.IsAsciiLetterOrDigit) ? null : "a test token is 1 to 64 letters or digits";

    public async Task<PushResult> SendAsync(string token, PushMessage message, CancellationToken cancellationToken)
    {
        Tries.AddOrUpdate((token, message.Text), 1, (_, n) => n + 1);
        if (token.StartsWith("block", StringComparison.Ordinal)) await _release.Task.WaitAsync(cancellationToken);
        await Sends.Writer.WriteAsync((token, message), cancellationToken);
        if (token.StartsWith("dead", StringComparison.Ordinal)) return PushResult.Dead("Unregistered");
        if (token.StartsWith("retry", StringComparison.Ordinal)) return PushResult.Retry("HTTP 503", TimeSpan.Zero);
        if (token.StartsWith("fail", StringComparison.Ordinal)) return PushResult.Fail("BadTopic");
        return PushResult.Sent;
    }

    /// <summary>The next send to a token ending in <paramref name="tag"/> (the test's own devices; sends to other
    /// tests' devices are skipped), or a failure after 10 s.</summary>
    public async Task<(string Token, PushMessage Message)> Next(string tag, string? sentinel = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                var send = await Sends.Reader.ReadAsync(timeout.Token);
                // A sentinel notification goes to every device of the account: only the one awaited counts.
                if (send.Message.Text is { } text && text.StartsWith("sentinel-", StringComparison.Ordinal) && text != sentinel) continue;
                if (send.Token.EndsWith(tag, StringComparison.Ordinal)) return send;
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException("no push send within 10 s");
        }
    }
}

/// <summary>The push module in a real app on the run's database pool, with an app-registered sender for the
/// <c>test://</c> scheme: the device endpoints, the triggers and their conditions (offline only, mute flags, own
/// actions, <c>_publish=0</c>), <c>/push/notify</c>, dead devices removed, retries, a full queue. The built-in
/// services' senders are tested against local servers that speak their protocols (<c>Push/*</c>).</summary>
public sealed class PushDeliveryTests : IAsyncLifetime
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "bkcs-push-" + Guid.NewGuid().ToString("N"));
    private readonly ScriptedPushSender _sender = new();
    private BackendApplication? _app;
    private Uri? _base;
    private TestAccount? _admin;

    public async ValueTask InitializeAsync()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        _base = new Uri($"http://127.0.0.1:{port}");
        // One worker: the queue is then first in, first out, so a sentinel notification sent after an action arrives
        // after anything the action caused (the tests of "nothing was sent" wait for it).
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-api-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-api-bind", "127.0.0.1", "-log", "warn", "-push-concurrency", "1", "-push-retries", "2", "-push-retry-delay", "1",
                "-push-prefix", "App:", "-api-status-interval", "60000", .. BackendServer.PoolArgs])
            .AddPostgres().AddMySql().AddDynamoDb().AddRedis().AddLmdb();
        builder.Services.AddSingleton<IPushSender>(_sender);
        _app = builder.Build();
        await _app.StartAsync(TestContext.Current.CancellationToken);
        var login = Accounts.UniqueLogin("admin");
        var row = await AccountWriter.AddAsync(_app.Db, new Dictionary<string, string> { ["login"] = login, ["secret"] = "admin-secret", ["name"] = "Admin", ["type"] = "admin" },
            asAdmin: true, TimeProvider.System, CancellationToken.None);
        _admin = new TestAccount(login, "admin-secret", row.GetString("id")!);
    }

    public async ValueTask DisposeAsync()
    {
        _sender.Release();
        if (_app is not null) await _app.DisposeAsync();
        BackendServer.DeleteHome(_home);
    }

    private BackendClient Client(TestAccount? account = null) => new(_base!, account);

    private async Task<TestAccount> AddAccount(string alias)
    {
        using var client = Client();
        var (login, secret) = (Accounts.UniqueLogin(), Accounts.NewSecret());
        var r = await client.PostForm("/account/add", ("login", login), ("secret", secret), ("name", alias), ("alias", alias));
        ApiAssert.Ok(r);
        return new TestAccount(login, secret, r.Str("id")!);
    }

    // A notification to a device of its own, sent after everything queued before it: once it arrives, whatever an
    // earlier action caused has been sent.
    // Each test's device tokens end in a tag of its own, so sends a test left behind (retries) never count in another.
    private static string Tag() => "x" + Guid.NewGuid().ToString("N")[..10];

    private async Task<List<(string Token, PushMessage Message)>> SendsUntilSentinel(TestAccount account, string tag)
    {
        // The sentinel goes to an account of its own (the tested one may have muted everything), through the same
        // queue: with one worker it is handled after whatever was queued before it.
        _ = account;
        var sentinelAccount = await AddAccount("Sentinel");
        var sentinel = "sentinel" + tag;
        var text = "sentinel-" + Guid.NewGuid().ToString("N");
        using (var c = Client(sentinelAccount)) ApiAssert.Ok(await c.Get("/device/add", ("device_id", "test://" + sentinel)));
        using (var admin = Client(_admin)) ApiAssert.Ok(await admin.Get("/push/notify", ("id", sentinelAccount.Id), ("msg", text), ("offline", "0")));
        var seen = new List<(string, PushMessage)>();
        while (true)
        {
            var send = await _sender.Next(tag, text);
            if (send.Token == sentinel) break;
            seen.Add((send.Token[..^tag.Length], send.Message));
        }
        return seen;
    }

    [Fact]
    public async Task A_message_to_an_offline_account_notifies_each_of_its_devices_with_the_prefix_and_the_senders_alias()
    {
        var t = Tag();
        var a = await AddAccount("Alice");
        var b = await AddAccount("Bob");
        using var cb = Client(b);
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://phone1" + t)));
        ApiAssert.Ok(await cb.Get("/account/update", ("device_id", "test://tablet1" + t)));
        using var ca = Client(a);
        ApiAssert.Ok(await ca.Get("/message/add", ("id", b.Id), ("msg", "hello there")));

        var sends = await SendsUntilSentinel(b, t);
        Assert.Equal(["phone1", "tablet1"], sends.Select(s => s.Token).Order(StringComparer.Ordinal));
        Assert.All(sends, s => Assert.Equal("App: Alice: hello there", s.Message.Text));
        Assert.All(sends, s => Assert.Equal("default", s.Message.Sound));
    }

    [Fact]
    public async Task Nothing_is_sent_to_an_online_account_for_a_muted_trigger_for_ones_own_actions_or_with_publish_off()
    {
        var t = Tag();
        var a = await AddAccount("Ann");
        var b = await AddAccount("Ben");
        using var ca = Client(a);
        using var cb = Client(b);
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://benphone" + t)));

        ApiAssert.Ok(await cb.Get("/status/put", ("status", "here")));
        ApiAssert.Ok(await ca.Get("/message/add", ("id", b.Id), ("msg", "while online")));
        Assert.Empty(await SendsUntilSentinel(b, t));
        ApiAssert.Ok(await cb.Get("/status/del"));

        ApiAssert.Ok(await cb.Get("/account/update", ("push_mute", "message,ping")));
        ApiAssert.Ok(await ca.Get("/message/add", ("id", b.Id), ("msg", "muted")));
        ApiAssert.Ok(await ca.Get("/counter/incr", ("id", b.Id), ("ping", "1")));
        ApiAssert.Ok(await ca.Get("/message/add", ("id", b.Id), ("msg", "quiet"), ("_publish", "0")));
        ApiAssert.Ok(await cb.Get("/message/add", ("id", b.Id), ("msg", "a note to myself")));
        // Connections are not muted: this one arrives.
        ApiAssert.Ok(await ca.Get("/connection/add", ("id", b.Id), ("type", "friend")));
        var sends = await SendsUntilSentinel(b, t);
        var only = Assert.Single(sends);
        Assert.Equal("App: Ann connected with you: friend", only.Message.Text);

        ApiAssert.Ok(await cb.Get("/account/update", ("push_mute", "all")));
        ApiAssert.Ok(await ca.Get("/connection/add", ("id", b.Id), ("type", "like")));
        Assert.Empty(await SendsUntilSentinel(b, t));
    }

    [Fact]
    public async Task A_ping_bump_notifies_and_a_device_the_service_reports_dead_is_removed_from_the_account()
    {
        var t = Tag();
        var a = await AddAccount("Al");
        var b = await AddAccount("Bea");
        using var cb = Client(b);
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://deadphone" + t)));
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://livephone" + t)));
        ApiAssert.Ok(await cb.Get("/account/update", ("device_id", "test://deadtablet" + t)));
        using var ca = Client(a);
        ApiAssert.Ok(await ca.Get("/counter/incr", ("id", b.Id), ("ping", "1")));

        var sends = await SendsUntilSentinel(b, t);
        Assert.Equal(["deadphone", "deadtablet", "livephone"], sends.Select(s => s.Token).Order(StringComparer.Ordinal));
        Assert.All(sends, s => Assert.Equal("App: Al pinged you", s.Message.Text));

        // The removal follows the dead answer; the sentinel round proves the sends happened, give the deletes a moment.
        var devices = await WaitFor(async () =>
        {
            var list = await cb.Get("/device/get");
            return list.Json!["data"]!.AsArray().Select(d => d!["device_id"]!.ToString()).ToList();
        }, d => d.Count == 1);
        Assert.Equal(["test://livephone" + t], devices);
        var me = await WaitFor(() => cb.Get("/account/get"), r => r.Json!["device_id"] is null);
        Assert.Null(me.Json!["device_id"]);
    }

    [Fact]
    public async Task A_send_the_service_answers_later_is_tried_again_up_to_push_retries_then_given_up()
    {
        var t = Tag();
        var b = await AddAccount("Retry");
        using var cb = Client(b);
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://retry1" + t)));
        using var admin = Client(_admin);
        ApiAssert.Ok(await admin.Get("/push/notify", ("id", b.Id), ("msg", "again"), ("badge", "3")));
        for (var i = 0; i < 3; i++)
        {
            var send = await _sender.Next(t);
            Assert.Equal("retry1" + t, send.Token);
            Assert.Equal(3, send.Message.Badge);
        }
        // -push-retries 2: three tries in all, then nothing more.
        var after = await SendsUntilSentinel(b, t);
        Assert.DoesNotContain(after, s => s.Token == "retry1");
        Assert.Equal(3, _sender.Tries[("retry1" + t, "again")]);
    }

    [Fact]
    public async Task Devices_are_private_move_between_accounts_and_bad_ids_are_400s_that_write_nothing()
    {
        var t = Tag();
        var a = await AddAccount("Owner");
        var b = await AddAccount("Other");
        using var ca = Client(a);
        using var cb = Client(b);

        var added = await ca.Get("/device/add", ("device_id", "TEST://shared1" + t));
        ApiAssert.Ok(added);
        Assert.Equal("test://shared1" + t, added.Str("device_id"));
        Assert.Equal("test", added.Str("service"));
        Assert.Empty((await cb.Get("/device/get")).Json!["data"]!.AsArray());

        // Added by another account, it moves: a device belongs to one account.
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://shared1" + t)));
        Assert.Empty((await ca.Get("/device/get")).Json!["data"]!.AsArray());
        Assert.Single((await cb.Get("/device/get")).Json!["data"]!.AsArray());
        ApiAssert.Error(await ca.Get("/device/del", ("device_id", "test://shared1" + t)), 404);
        ApiAssert.Ok(await cb.Get("/device/del", ("device_id", "test://shared1" + t)));
        Assert.Empty((await cb.Get("/device/get")).Json!["data"]!.AsArray());

        foreach (var bad in new[] { "", "test://", "test://has space", "nosuch://abc", "://abc", "test://" + new string('a', 65), new string('x', 5000) })
        {
            ApiAssert.Error(await ca.Get("/device/add", ("device_id", bad)), 400);
            if (bad.Length > 0) ApiAssert.Error(await ca.Get("/account/update", ("device_id", bad)), 400);
        }
        Assert.Empty((await ca.Get("/device/get")).Json!["data"]!.AsArray());
        Assert.Null((await ca.Get("/account/get")).Json!["device_id"]);

        // The account's device_id and push_mute are the owner's: not shown to another account.
        ApiAssert.Ok(await ca.Get("/account/update", ("device_id", "test://mine1" + t), ("push_mute", "ping")));
        var own = await ca.Get("/account/get");
        Assert.Equal("test://mine1" + t, own.Str("device_id"));
        var seen = await cb.Get("/account/get", ("id", a.Id));
        ApiAssert.Ok(seen);
        Assert.DoesNotContain("mine1" + t, seen.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("push_mute", seen.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_notify_is_for_admins_and_sends_to_an_online_account_when_offline_is_0()
    {
        var t = Tag();
        var b = await AddAccount("Target");
        using var cb = Client(b);
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://notified1" + t)));
        ApiAssert.Error(await cb.Get("/push/notify", ("id", b.Id), ("msg", "self")), 403);
        using var admin = Client(_admin);
        ApiAssert.Error(await admin.Get("/push/notify", ("id", b.Id)), 400);
        ApiAssert.Error(await admin.Get("/push/notify", ("id", b.Id), ("msg", "x"), ("badge", "-1")), 400);
        ApiAssert.Error(await admin.Get("/push/notify", ("id", "no-such-account"), ("msg", "x")), 404);

        ApiAssert.Ok(await cb.Get("/status/put", ("status", "here")));
        var queued = await admin.Get("/push/notify", ("id", b.Id), ("msg", "Shipped"), ("prefix", "Shop"), ("offline", "0"), ("sound", "bell"), ("title", "Order 42"));
        ApiAssert.Ok(queued);
        Assert.True(queued.Json!["queued"]!.GetValue<bool>());
        var send = await _sender.Next(t);
        Assert.Equal(("notified1" + t, "Shop Shipped", "bell", "Order 42"), (send.Token, send.Message.Text, send.Message.Sound, send.Message.Title));
        // Only offline (the default): the account is online, nothing goes.
        ApiAssert.Ok(await admin.Get("/push/notify", ("id", b.Id), ("msg", "not now")));
        Assert.Empty(await SendsUntilSentinel(b, t));
        ApiAssert.Ok(await cb.Get("/status/del"));
    }

    [Fact]
    public async Task Deleting_the_account_deletes_its_devices_so_a_new_owner_can_take_them()
    {
        var t = Tag();
        var a = await AddAccount("Gone");
        var b = await AddAccount("Next");
        using (var ca = Client(a))
        {
            ApiAssert.Ok(await ca.Get("/device/add", ("device_id", "test://handed1" + t)));
            ApiAssert.Ok(await ca.Get("/account/del"));
        }
        var rows = await _app!.Db.SelectAsync("bk_device", new Backend.Data.DbRow { ["id"] = a.Id }, TestContext.Current.CancellationToken);
        Assert.Empty(rows.Rows);
        using var cb = Client(b);
        ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://handed1" + t)));
        Assert.Single((await cb.Get("/device/get")).Json!["data"]!.AsArray());
    }

    [Fact]
    public async Task Every_send_is_counted_by_service_and_outcome_in_backend_push_sends()
    {
        var t = Tag();
        var metrics = _app!.Services.GetRequiredService<Backend.Metrics.BackendMetrics>();
        var counted = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, metrics.PushSends)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? service = null, outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "push.service") service = tag.Value?.ToString();
                if (tag.Key == "push.outcome") outcome = tag.Value?.ToString();
            }
            counted.AddOrUpdate(service + "/" + outcome, value, (_, n) => n + value);
        });
        listener.Start();
        var before = counted.ToDictionary();

        var b = await AddAccount("Counted");
        using var cb = Client(b);
        foreach (var token in new[] { "ok1", "dead1", "retry2", "fail1" }) ApiAssert.Ok(await cb.Get("/device/add", ("device_id", "test://" + token + t)));
        using var admin = Client(_admin);
        ApiAssert.Ok(await admin.Get("/push/notify", ("id", b.Id), ("msg", "count me")));
        for (var i = 0; i < 6; i++) await _sender.Next(t);  // ok, dead, fail, and retry three times (-push-retries 2)
        await SendsUntilSentinel(b, t);
        long Delta(string key) => counted.GetValueOrDefault(key) - before.GetValueOrDefault(key);
        for (var i = 0; i < 100 && Delta("test/gave_up") < 1; i++) await Task.Delay(20, TestContext.Current.CancellationToken);
        // Other tests of the class may run sends meanwhile only before or after: the class's tests run one at a time.
        Assert.True(Delta("test/sent") >= 2, $"sent {Delta("test/sent")}");   // ok1 and the sentinel
        Assert.Equal(1, Delta("test/dead"));
        Assert.Equal(1, Delta("test/failed"));
        Assert.Equal(2, Delta("test/retry"));
        Assert.Equal(1, Delta("test/gave_up"));
    }

    private static async Task<T> WaitFor<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var value = await read();
        for (var i = 0; i < 100 && !done(value); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            value = await read();
        }
        return value;
    }
}
