using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>WebSockets on the HTTP port, small limits: 4 KiB messages, 2 requests in flight per socket, 2 s long polls.</summary>
public sealed class WebSocketFixture : ServerFixture
{
    /// <summary>-ws-max-message.</summary>
    public const int MaxMessage = 4096;

    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-ws-max-message", $"{MaxMessage}", "-ws-max-inflight", "2", "-api-subscribe-timeout", "2000"];
}

/// <summary>WebSockets on a port of their own (loopback), closed after 1 s without a message.</summary>
public sealed class WebSocketPortFixture : ServerFixture
{
    /// <summary>-ws-port.</summary>
    public int WsPort { get; } = BackendServer.FreePort();

    /// <summary>-ws-idle-timeout.</summary>
    public const int IdleMs = 1000;

    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-ws-port", $"{WsPort}", "-ws-bind", "127.0.0.1", "-ws-idle-timeout", $"{IdleMs}"];
}

/// <summary>A test's WebSocket client: text messages in, text messages out, every wait bounded.</summary>
internal sealed class WsClient : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private WsClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>Connects to ws://127.0.0.1:PORT/ with the given upgrade headers.</summary>
    public static async Task<WsClient> Connect(int port, params (string Name, string Value)[] headers)
    {
        var socket = new ClientWebSocket();
        foreach (var (name, value) in headers) socket.Options.SetRequestHeader(name, value);
        using var cts = Timeout();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), cts.Token);
        return new WsClient(socket);
    }

    private static CancellationTokenSource Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Wait);
        return cts;
    }

    public async Task Send(string text)
    {
        using var cts = Timeout();
        await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
    }

    /// <summary>The next message (text), or fails when the socket closes.</summary>
    public async Task<string> Receive()
    {
        var (type, data) = await ReceiveAny();
        Assert.True(type == WebSocketMessageType.Text, $"expected a text message, got {type} ({Socket.CloseStatus} {Socket.CloseStatusDescription})");
        return data;
    }

    /// <summary>The next message as JSON.</summary>
    public async Task<JsonNode?> ReceiveJson()
    {
        var text = await Receive();
        Assert.False(text.Contains("   at ", StringComparison.Ordinal), $"stack trace leaked: {text}");
        return JsonNode.Parse(text);
    }

    /// <summary>Sends and receives one reply.</summary>
    public async Task<JsonNode?> Ask(string url)
    {
        await Send(url);
        return await ReceiveJson();
    }

    public async Task<(WebSocketMessageType Type, string Data)> ReceiveAny()
    {
        using var cts = Timeout();
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var r = await Socket.ReceiveAsync(buffer, cts.Token);
            if (r.MessageType == WebSocketMessageType.Close) return (r.MessageType, "");
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageType, Encoding.UTF8.GetString(message.ToArray()));
        }
    }

    /// <summary>Waits for the server's close frame (skipping messages) and answers it; returns its status.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveClose()
    {
        while (true)
        {
            var (type, _) = await ReceiveAny();
            if (type != WebSocketMessageType.Close) continue;
            using var cts = Timeout();
            if (Socket.State == WebSocketState.CloseReceived) await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token);
            return Socket.CloseStatus;
        }
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>Builds message URLs: path and query, signed in the query like a GET.</summary>
internal static class WsUrls
{
    public static string Signed(BackendClient client, string path, params (string Name, string Value)[] query) =>
        Signed(client, path, client.Defaults, query);

    public static string Signed(BackendClient client, string path, SignOptions options, params (string Name, string Value)[] query)
    {
        var q = BackendClient.Encode(query);
        var uri = client.Url(path, q);
        var signature = client.Sign(HttpMethod.Get, uri, null, null, options with { In = SignatureIn.Header });
        return path + "?" + (q.Length > 0 ? q + "&" : "") + "bk-signature=" + Uri.EscapeDataString(signature!);
    }

    public static JsonNode? Http(ApiResponse response) => response.Body.Length == 0 ? null : JsonNode.Parse(response.Body);
}

public sealed class WebSocketTests(WebSocketFixture fixture) : IClassFixture<WebSocketFixture>
{
    private int Port => fixture.Server.Port;

    [Fact]
    public async Task A_signed_request_over_the_socket_answers_the_same_json_as_http_get()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var ws = await WsClient.Connect(Port);

        var overHttp = await http.Get("/account/get");
        ApiAssert.Ok(overHttp);
        var overWs = await ws.Ask(WsUrls.Signed(http, "/account/get"));
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(overHttp), overWs), $"http {overHttp.Body} ws {overWs?.ToJsonString()}");
        Assert.Equal(me.Id, (string?)overWs!["id"]);

        // With a query, and several on one socket (replies in order).
        var counters = await http.Get("/counter/get");
        ApiAssert.Ok(counters);
        await ws.Send(WsUrls.Signed(http, "/counter/get"));
        await ws.Send(WsUrls.Signed(http, "/account/get", ("id", me.Id)));
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(counters), await ws.ReceiveJson()));
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(await http.Get("/account/get", ("id", me.Id))), await ws.ReceiveJson()));
    }

    [Fact]
    public async Task The_session_cookie_of_the_upgrade_applies_to_every_message()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me, cookies: true);
        ApiAssert.Ok(await http.Get("/account/get", ("_session", "1")));
        var cookie = http.Cookies.GetCookies(http.BaseAddress).Single();

        using var ws = await WsClient.Connect(Port, ("Cookie", $"{cookie.Name}={cookie.Value}"));
        for (var i = 0; i < 2; i++)
        {
            var reply = await ws.Ask("/account/get");
            Assert.Equal(me.Id, (string?)reply!["id"]);
        }

        // Without the cookie the same message is the HTTP API's 400.
        using var anonymous = await WsClient.Connect(Port);
        var refused = await anonymous.Ask("/account/get");
        using var unsigned = fixture.Client();
        var overHttp = await unsigned.Get("/account/get");
        ApiAssert.Error(overHttp, 400);
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(overHttp), refused), $"ws {refused?.ToJsonString()}");
    }

    [Fact]
    public async Task A_signed_upgrade_makes_every_unsigned_message_that_accounts_until_its_secret_changes()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        var upgradeSignature = http.Sign(HttpMethod.Get, http.Url("/"), null, null, http.Defaults)!;
        using var ws = await WsClient.Connect(Port, ("bk-signature", upgradeSignature));

        var overHttp = await http.Get("/account/get");
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(overHttp), await ws.Ask("/account/get")));
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(await http.Get("/counter/get")), await ws.Ask("/counter/get")));

        // A message's own signature still wins (another account's here).
        var other = await fixture.AddAccount();
        using var them = fixture.Client(other);
        Assert.Equal(other.Id, (string?)(await ws.Ask(WsUrls.Signed(them, "/account/get")))!["id"]);

        // The secret changes: the socket's identity ends, as a session's would.
        ApiAssert.Ok(await http.PostForm("/account/put/secret", ("secret", Accounts.NewSecret())));
        var refused = await ws.Ask("/account/get");
        Assert.Equal(401, (int)refused!["status"]!);
    }

    [Fact]
    public async Task A_badly_signed_upgrade_is_refused_with_the_http_error()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        var wrong = http.Sign(HttpMethod.Get, http.Url("/"), null, null, new SignOptions { Secret = "not-the-secret" })!;
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("bk-signature", wrong);
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}/"), TestContext.Current.CancellationToken));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task A_bad_signature_gets_the_same_error_json_as_http()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var ws = await WsClient.Connect(Port);

        var wrongSecret = new SignOptions { Secret = "not-the-secret" };
        var overHttp = await http.Get("/account/get", wrongSecret with { In = SignatureIn.Query });
        ApiAssert.Error(overHttp, 401);
        var overWs = await ws.Ask(WsUrls.Signed(http, "/account/get", wrongSecret));
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(overHttp), overWs), $"ws {overWs?.ToJsonString()}");

        var noAccount = new SignOptions { Login = Accounts.UniqueLogin("nobody") };
        var http404 = await http.Get("/account/get", noAccount with { In = SignatureIn.Query });
        ApiAssert.Error(http404, 404);
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(http404), await ws.Ask(WsUrls.Signed(http, "/account/get", noAccount))));

        // A signature for another path does not carry over.
        var other = WsUrls.Signed(http, "/counter/get").Replace("/counter/get", "/account/get", StringComparison.Ordinal);
        Assert.Equal(401, (int)(await ws.Ask(other))!["status"]!);
    }

    [Fact]
    public async Task An_unknown_path_is_the_http_404_json()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var ws = await WsClient.Connect(Port);

        var overHttp = await http.Get("/no/such/path");
        ApiAssert.Error(overHttp, 404);
        var overWs = await ws.Ask(WsUrls.Signed(http, "/no/such/path"));
        Assert.True(JsonNode.DeepEquals(WsUrls.Http(overHttp), overWs), $"ws {overWs?.ToJsonString()}");
    }

    [Fact]
    public async Task Bad_messages_get_json_errors_and_the_socket_stays_open()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var ws = await WsClient.Connect(Port);
        foreach (var bad in new[] { "not a url", "", "/%zz%?x=%zz&bk-signature=%%", "/account/get?bk-signature=1|2|3", "/\u0001\u0000?\u00ff", "http://example.com/account/get" })
        {
            var reply = await ws.Ask(bad);
            var status = (int)reply!["status"]!;
            Assert.InRange(status, 400, 499);
            Assert.False(string.IsNullOrEmpty((string?)reply["message"]));
        }
        Assert.Equal(me.Id, (string?)(await ws.Ask(WsUrls.Signed(http, "/account/get")))!["id"]);
    }

    [Fact]
    public async Task An_oversized_message_closes_with_1009_and_the_server_serves_everyone_else()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var bystander = await WsClient.Connect(Port);
        using var ws = await WsClient.Connect(Port);

        await ws.Send("/account/get?x=" + new string('a', WebSocketFixture.MaxMessage));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await ws.ReceiveClose());

        Assert.Equal(me.Id, (string?)(await bystander.Ask(WsUrls.Signed(http, "/account/get")))!["id"]);
        ApiAssert.Ok(await http.Get("/account/get"));
        // A message of exactly the limit is accepted.
        using var fits = await WsClient.Connect(Port);
        var pad = WebSocketFixture.MaxMessage - WsUrls.Signed(http, "/account/get", ("pad", "")).Length;
        var url = WsUrls.Signed(http, "/account/get", ("pad", new string('a', pad)));
        while (url.Length > WebSocketFixture.MaxMessage) url = WsUrls.Signed(http, "/account/get", ("pad", new string('a', --pad)));
        Assert.InRange(url.Length, WebSocketFixture.MaxMessage - 10, WebSocketFixture.MaxMessage);
        Assert.Equal(me.Id, (string?)(await fits.Ask(url))!["id"]);
    }

    [Fact]
    public async Task A_binary_message_closes_with_1003_and_invalid_utf8_with_1007()
    {
        using (var ws = await WsClient.Connect(Port))
        {
            await ws.Socket.SendAsync("/ping"u8.ToArray(), WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);
            Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await ws.ReceiveClose());
        }
        using (var ws = await WsClient.Connect(Port))
        {
            await ws.Socket.SendAsync(new byte[] { (byte)'/', 0xC3, 0x28, 0xFF }, WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await ws.ReceiveClose());
        }
        using var client = fixture.Client(await fixture.AddAccount());
        ApiAssert.Ok(await client.Get("/account/get"));
    }

    [Fact]
    public async Task A_request_over_the_in_flight_limit_is_answered_429_in_its_turn()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var ws = await WsClient.Connect(Port);

        // Two long polls (2 s each, no event) fill the socket's two slots; the third request is refused at once.
        await ws.Send(WsUrls.Signed(http, "/account/subscribe"));
        await ws.Send(WsUrls.Signed(http, "/account/subscribe"));
        await ws.Send(WsUrls.Signed(http, "/account/get"));
        Assert.Empty(Assert.IsType<JsonArray>(await ws.ReceiveJson()));
        Assert.Empty(Assert.IsType<JsonArray>(await ws.ReceiveJson()));
        var refused = Assert.IsType<JsonObject>(await ws.ReceiveJson());
        Assert.Equal(429, (int)refused["status"]!);
        Assert.Contains("in flight", (string?)refused["message"], StringComparison.Ordinal);

        // Once the slots are free the same request is served.
        Assert.Equal(me.Id, (string?)(await ws.Ask(WsUrls.Signed(http, "/account/get")))!["id"]);
    }

    [Fact]
    public async Task After_subscribing_over_the_socket_another_accounts_actions_arrive_as_messages()
    {
        var me = await fixture.AddAccount();
        var other = await fixture.AddAccount();
        using var mine = fixture.Client(me);
        using var them = fixture.Client(other);
        using var ws = await WsClient.Connect(Port);

        var subscribed = await ws.Ask(WsUrls.Signed(mine, "/account/subscribe", ("push", "1")));
        Assert.True((bool)subscribed!["subscribed"]!, subscribed.ToJsonString());

        var sent = Stopwatch.StartNew();
        ApiAssert.Ok(await them.Get("/connection/add", ("id", me.Id), ("type", "like")));
        var e = (await ws.ReceiveJson())!["event"]!;
        Assert.Equal("/connection/add", (string?)e["path"]);
        Assert.Equal("like", (string?)e["type"]);
        Assert.Equal(other.Id, (string?)e["id"]);
        // Pushed as it happens, not on the long poll's interval.
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(5), $"after {sent.Elapsed}");

        // Requests still work on the subscribed socket, and the next event follows.
        Assert.Equal(me.Id, (string?)(await ws.Ask(WsUrls.Signed(mine, "/account/get")))!["id"]);
        ApiAssert.Ok(await them.Get("/message/add", ("id", me.Id), ("msg", "hi")));
        Assert.Equal("/message/add", (string?)(await ws.ReceiveJson())!["event"]!["path"]);
    }

    [Fact]
    public async Task Events_of_a_socket_that_closed_go_nowhere_and_a_new_socket_gets_its_own()
    {
        var me = await fixture.AddAccount();
        var other = await fixture.AddAccount();
        using var mine = fixture.Client(me);
        using var them = fixture.Client(other);
        using (var first = await WsClient.Connect(Port))
        {
            Assert.True((bool)(await first.Ask(WsUrls.Signed(mine, "/account/subscribe", ("push", "1"))))!["subscribed"]!);
            await first.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", TestContext.Current.CancellationToken);
        }
        using var second = await WsClient.Connect(Port);
        Assert.True((bool)(await second.Ask(WsUrls.Signed(mine, "/account/subscribe", ("push", "1"), ("match", "counter"))))!["subscribed"]!);
        ApiAssert.Ok(await them.Get("/connection/add", ("id", me.Id), ("type", "like")));
        ApiAssert.Ok(await them.Get("/counter/incr", ("id", me.Id), ("ping", "1")));
        // match filters: only the counter event arrives.
        Assert.Equal("/counter/incr", (string?)(await second.ReceiveJson())!["event"]!["path"]);
        ApiAssert.Ok(await mine.Get("/account/get"));
    }
}

public sealed class WebSocketPortTests(WebSocketPortFixture fixture) : IClassFixture<WebSocketPortFixture>
{
    [Fact]
    public async Task A_separate_ws_port_serves_upgrades_and_refuses_plain_http_with_426()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var ws = await WsClient.Connect(fixture.WsPort);
        var reply = await ws.Ask(WsUrls.Signed(http, "/account/get"));
        Assert.Equal(me.Id, (string?)reply!["id"]);

        using var plain = new BackendClient(new Uri($"http://127.0.0.1:{fixture.WsPort}"), me);
        ApiAssert.Error(await plain.Get("/account/get"), 426);
        // The HTTP port does not upgrade then.
        using var refused = new ClientWebSocket();
        await Assert.ThrowsAnyAsync<WebSocketException>(() => refused.ConnectAsync(new Uri($"ws://127.0.0.1:{fixture.Server.Port}/ping"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_idle_socket_is_closed_with_1000_and_an_active_one_is_not()
    {
        var me = await fixture.AddAccount();
        using var http = fixture.Client(me);
        using var active = await WsClient.Connect(fixture.WsPort);
        using var idle = await WsClient.Connect(fixture.WsPort);
        var started = Stopwatch.StartNew();
        var closed = idle.ReceiveClose();
        // The active socket keeps sending for longer than the timeout, every 300 ms.
        while (!closed.IsCompleted)
        {
            Assert.Equal(me.Id, (string?)(await active.Ask(WsUrls.Signed(http, "/account/get")))!["id"]);
            await Task.Delay(300, TestContext.Current.CancellationToken);
        }
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await closed);
        Assert.Equal("idle timeout", idle.Socket.CloseStatusDescription);
        Assert.True(started.ElapsedMilliseconds >= WebSocketPortFixture.IdleMs - 100, $"closed after {started.ElapsedMilliseconds} ms");
        Assert.Equal(WebSocketState.Open, active.Socket.State);
        Assert.Equal(me.Id, (string?)(await active.Ask(WsUrls.Signed(http, "/account/get")))!["id"]);
    }
}
