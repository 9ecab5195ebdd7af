using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backend.Tests.Server;

namespace Backend.Tests.Fuzz;

/// <summary>What a case needs to become bytes: the server's host, the run's accounts (four users and an admin, with
/// their cookie sessions), and values seen in replies (a message's time and sender, a paging token) that later cases
/// may send back.</summary>
public sealed class FuzzContext(string hostHeader, TestAccount[] accounts)
{
    private readonly TestAccount[] _accounts = accounts;
    private readonly string?[] _sessions = new string?[accounts.Length];

    /// <summary>The Host header of ordinary requests.</summary>
    public string HostHeader { get; } = hostHeader;

    /// <summary>A message time seen in a reply.</summary>
    public string SeenTime { get; set; } = "1800000000000";

    /// <summary>A message sender seen in a reply.</summary>
    public string SeenSender { get; set; } = "";

    /// <summary>A paging token seen in a reply.</summary>
    public string SeenToken { get; set; } = "";

    /// <summary>The account in a slot (0..3 users, 4 the admin).</summary>
    public TestAccount Account(int slot) => Volatile.Read(ref _accounts[Math.Clamp(slot, 0, _accounts.Length - 1)]);

    /// <summary>Replaces the account of a slot (after it was deleted or its secret changed).</summary>
    public void SetAccount(int slot, TestAccount account, string? session)
    {
        Volatile.Write(ref _accounts[slot], account);
        Volatile.Write(ref _sessions[slot], session);
    }

    /// <summary>The session cookie of a slot, or null.</summary>
    public string? SessionOf(int slot) => Volatile.Read(ref _sessions[Math.Clamp(slot, 0, _sessions.Length - 1)]);

    /// <summary>Sets the session cookie of a slot.</summary>
    public void SetSession(int slot, string? session) => Volatile.Write(ref _sessions[slot], session);

    /// <summary>The text with its placeholders replaced by the current values.</summary>
    public string Fill(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.AsSpan().IndexOfAnyInRange(FuzzText.IdA, FuzzText.SeenSender) < 0) return text;
        return text
            .Replace(FuzzText.IdA.ToString(), Account(0).Id, StringComparison.Ordinal)
            .Replace(FuzzText.IdB.ToString(), Account(1).Id, StringComparison.Ordinal)
            .Replace(FuzzText.IdAdmin.ToString(), Account(FuzzCase.AdminCaller).Id, StringComparison.Ordinal)
            .Replace(FuzzText.SeenTime.ToString(), SeenTime, StringComparison.Ordinal)
            .Replace(FuzzText.SeenToken.ToString(), SeenToken, StringComparison.Ordinal)
            .Replace(FuzzText.SeenSender.ToString(), SeenSender, StringComparison.Ordinal);
    }
}

/// <summary>Counts of a run.</summary>
public sealed class FuzzStats
{
    private long _requests, _server5xx, _allowed501, _leaks, _badShape, _noAnswer, _kestrel, _clientErrors, _ok, _validSigned, _validRejected, _kestrel505;

    /// <summary>Requests answered (or not).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>5xx answers (the documented 501 of a search on Redis excluded).</summary>
    public long Server5xx => Interlocked.Read(ref _server5xx);

    /// <summary>The documented 501 of <c>/data/search</c> on a driver without native search.</summary>
    public long Allowed501 => Interlocked.Read(ref _allowed501);

    /// <summary>Bodies with a stack trace or internals.</summary>
    public long Leaks => Interlocked.Read(ref _leaks);

    /// <summary>Error answers not in the JSON shape (other than Kestrel's own refusals of broken HTTP).</summary>
    public long BadShape => Interlocked.Read(ref _badShape);

    /// <summary>Requests the server closed the connection on without an answer.</summary>
    public long NoAnswer => Interlocked.Read(ref _noAnswer);

    /// <summary>Requests Kestrel refused itself (broken HTTP: empty-bodied 4xx).</summary>
    public long KestrelRefusals => Interlocked.Read(ref _kestrel);

    /// <summary>Of Kestrel's refusals, the 505 answers to a request line whose HTTP version it cannot read (a raw space
    /// in the target): sent by Kestrel before any of the server's code runs, so not the server's 5xx.</summary>
    public long Kestrel505 => Interlocked.Read(ref _kestrel505);

    /// <summary>4xx answers and Kestrel's refusals: the bad requests of the run.</summary>
    public long ClientErrors => Interlocked.Read(ref _clientErrors);

    /// <summary>2xx answers.</summary>
    public long Ok => Interlocked.Read(ref _ok);

    /// <summary>Requests with a valid signature (header, query or session) to a documented path.</summary>
    public long ValidSigned => Interlocked.Read(ref _validSigned);

    /// <summary>Of those, the ones answered 401.</summary>
    public long ValidRejected => Interlocked.Read(ref _validRejected);

    /// <summary>The first requests the server closed without an answer (all of them Kestrel's refusals of broken HTTP
    /// framing; a well-formed request without an answer is a failure).</summary>
    public ConcurrentBag<string> NoAnswerSamples { get; } = [];

    /// <summary>The first valid signatures answered 401 (to see why).</summary>
    public ConcurrentBag<string> RejectedSamples { get; } = [];

    /// <summary>Answers by status.</summary>
    public ConcurrentDictionary<int, long> ByStatus { get; } = new();

    /// <summary>2xx answers by endpoint template.</summary>
    public ConcurrentDictionary<string, long> OkByEndpoint { get; } = new(StringComparer.Ordinal);

    internal void Record(FuzzCase c, RawResponse? r, string? failure, bool kestrel, bool allowed501)
    {
        Interlocked.Increment(ref _requests);
        if (r is null)
        {
            if (Interlocked.Increment(ref _noAnswer) <= 5) NoAnswerSamples.Add(c.Describe());
            return;
        }
        ByStatus.AddOrUpdate(r.Status, 1, (_, n) => n + 1);
        if (allowed501) Interlocked.Increment(ref _allowed501);
        else if (kestrel && r.Status == 505) Interlocked.Increment(ref _kestrel505);
        else if (r.Status >= 500) Interlocked.Increment(ref _server5xx);
        if (r.Status is >= 400 and < 500 || kestrel) Interlocked.Increment(ref _clientErrors);
        if (kestrel) Interlocked.Increment(ref _kestrel);
        if (failure?.StartsWith(FuzzRunner.LeakFailure, StringComparison.Ordinal) == true) Interlocked.Increment(ref _leaks);
        if (failure?.StartsWith(FuzzRunner.ShapeFailure, StringComparison.Ordinal) == true) Interlocked.Increment(ref _badShape);
        if (r.Status is >= 200 and < 300)
        {
            Interlocked.Increment(ref _ok);
            if (FuzzRunner.Template(c.Path) is { } t) OkByEndpoint.AddOrUpdate(t, 1, (_, n) => n + 1);
        }
        if (FuzzRunner.IsValidSignature(c.Sign) && FuzzRunner.Template(c.Path) is not null && c.Host is null && c.Length == LengthMode.Exact)
        {
            Interlocked.Increment(ref _validSigned);
            if (r.Status == 401 && Interlocked.Increment(ref _validRejected) <= 5) RejectedSamples.Add(c.Describe() + " -> " + r.Text);
        }
    }

    /// <summary>A multi-line summary.</summary>
    public string Summary() =>
        $"requests {Requests:N0}: 2xx {Ok:N0}, bad requests {ClientErrors:N0} (Kestrel's own refusals {KestrelRefusals:N0}, of which 505 {Kestrel505:N0}), 5xx {Server5xx:N0} " +
        $"(+{Allowed501:N0} documented 501), stack traces/internals in bodies {Leaks:N0}, errors not in the JSON shape {BadShape:N0}, " +
        $"closed without an answer {NoAnswer:N0}; valid signatures {ValidSigned:N0} of which 401 {ValidRejected:N0}\n" +
        "by status: " + string.Join(", ", ByStatus.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value:N0}")) + "\n" +
        "2xx by endpoint: " + string.Join(", ", OkByEndpoint.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:N0}")) +
        (RejectedSamples.IsEmpty ? "" : "\nvalid signatures answered 401, the first: " + string.Join("\n  ", RejectedSamples)) +
        (NoAnswerSamples.IsEmpty ? "" : "\nclosed without an answer, the first: " + string.Join("\n  ", NoAnswerSamples));
}

/// <summary>Sends cases to a real server and checks every answer: no 5xx, no stack trace or internals in any body,
/// every error in the JSON shape <c>{"status":N,"message":"..."}</c> (only Kestrel's own refusals of broken HTTP have
/// an empty body), JSON replies parse and never carry a <c>secret</c>. Replaces an account the run deleted or whose
/// secret it changed, so later cases keep reaching the endpoints.</summary>
public sealed class FuzzRunner : IDisposable
{
    /// <summary>Prefix of a leak failure.</summary>
    public const string LeakFailure = "stack trace or internals in the body";

    /// <summary>Prefix of a shape failure.</summary>
    public const string ShapeFailure = "error not in the JSON shape";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly BackendServer _server;
    private readonly IPEndPoint _endpoint;
    private readonly ConcurrentBag<RawHttpConnection> _connections = [];
    private readonly SemaphoreSlim[] _slotLocks = [.. Enumerable.Range(0, 5).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly long[] _sessionRefresh = new long[5];

    private FuzzRunner(BackendServer server, FuzzContext context)
    {
        _server = server;
        _endpoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        Context = context;
    }

    /// <summary>The accounts and seen values.</summary>
    public FuzzContext Context { get; }

    /// <summary>The counts so far.</summary>
    public FuzzStats Stats { get; } = new();

    /// <summary>The database pool the server runs on.</summary>
    public string Pool { get; init; } = BackendServer.Pool;

    /// <summary>Creates the run's four users on the server, takes the admin, and starts a cookie session for each.</summary>
    public static async Task<FuzzRunner> StartAsync(BackendServer server, TestAccount admin)
    {
        ArgumentNullException.ThrowIfNull(server);
        var accounts = new TestAccount[5];
        for (var i = 0; i < 4; i++) accounts[i] = await Accounts.Add(server, null, ("alias", "fuzz" + i));
        accounts[FuzzCase.AdminCaller] = admin;
        var runner = new FuzzRunner(server, new FuzzContext($"127.0.0.1:{server.Port}", accounts));
        for (var i = 0; i < accounts.Length; i++) runner.Context.SetSession(i, await runner.StartSession(accounts[i]));
        return runner;
    }

    /// <summary>Sends one case and checks the answer; returns why it failed, or null.</summary>
    public async Task<string?> RunAsync(FuzzCase c, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(c);
        var wire = c.Build(Context);
        var connection = _connections.TryTake(out var open) ? open : new RawHttpConnection(_endpoint);
        RawResponse? response;
        try
        {
            response = await connection.SendAsync(wire.Bytes, wire.Mode, wire.IsHead, Timeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            connection.Dispose();
            Stats.Record(c, null, null, false, false);
            return $"no answer: {ex.Message}";
        }
        catch (IOException ex)
        {
            connection.Dispose();
            Stats.Record(c, null, null, false, false);
            return wire.ProtocolLevel ? null : $"unreadable answer: {ex.Message}";
        }
        _connections.Add(connection);
        var (failure, kestrel, allowed501) = Check(c, wire, response, Pool);
        Stats.Record(c, response, failure, kestrel, allowed501);
        if (response is not null) await Observe(c, response);
        return failure;
    }

    /// <summary>The answer's problems: a 5xx, a leak, an error not in the JSON shape, a JSON reply that does not
    /// parse or holds a secret.</summary>
    public static (string? Failure, bool Kestrel, bool Allowed501) Check(FuzzCase c, FuzzWire wire, RawResponse? r, string pool)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(wire);
        if (r is null) return (wire.ProtocolLevel ? null : "connection closed without an answer", false, false);
        var text = r.Text;
        // No 5xx is allowed: a native search on a driver that has none (Redis) is a 400 too. (The counter of allowed
        // 501s stays in the report, at 0, so a run of an older server shows them.)
        const bool allowed501 = false;
        // Kestrel answers a request line whose version it cannot read (a raw space in the target) with an empty 505.
        if (r.Status == 505 && wire.ProtocolLevel && r.Body.Length == 0 && r.ContentType is null) return (null, true, false);
        if (r.Status >= 500 && !allowed501) return ($"{r.Status} answer: {Short(text)}", false, false);
        foreach (var marker in FuzzText.LeakMarkers)
        {
            if (text.Contains(marker, StringComparison.OrdinalIgnoreCase)) return ($"{LeakFailure} ({marker.Trim()}): {Short(text)}", false, allowed501);
        }
        var isJson = r.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
        if (r.Status >= 400 || r.Status == 305)
        {
            if (r.Body.Length == 0 && r.ContentType is null)
            {
                // Kestrel's own refusal of what is not HTTP it accepts, answered before the server's code runs.
                return wire.ProtocolLevel && r.Status is 400 or 405 or 413 or 414 or 431 or 505
                    ? (null, true, false)
                    : ($"{ShapeFailure}: {r.Status} with an empty body", false, false);
            }
            if (!isJson) return ($"{ShapeFailure}: {r.Status} with content type {r.ContentType}: {Short(text)}", false, false);
            if (wire.IsHead) return (null, false, allowed501);
            return (ErrorShape(r.Status, text) is { } problem ? $"{ShapeFailure}: {problem}" : null, false, allowed501);
        }
        if (isJson && !wire.IsHead && r.Body.Length > 0)
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(r.Body);
            }
            catch (JsonException)
            {
                return ($"a {r.Status} JSON reply does not parse: {Short(text)}", false, false);
            }
            if (ApiResponse.HasProperty(node, "secret")) return ($"a {r.Status} reply carries a secret: {Short(text)}", false, false);
        }
        return (null, false, false);
    }

    /// <summary>Why an error body is not exactly <c>{"status":N,"message":"..."}</c> with N the HTTP status, or null.</summary>
    public static string? ErrorShape(int status, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            if (JsonNode.Parse(body) is not JsonObject o) return $"{status} body is not an object: {Short(body)}";
            if (o.Count != 2 || o["status"] is not JsonValue s || o["message"] is not JsonValue m) return $"{status} body has other properties: {Short(body)}";
            if (!s.TryGetValue<int>(out var n) || n != status) return $"{status} body says status {s}: {Short(body)}";
            if (!m.TryGetValue<string>(out var message) || string.IsNullOrWhiteSpace(message)) return $"{status} body has no message: {Short(body)}";
            return null;
        }
        catch (JsonException)
        {
            return $"{status} body is not JSON: {Short(body)}";
        }
    }

    /// <summary>True for the signature modes that sign correctly.</summary>
    public static bool IsValidSignature(SignMode mode) => mode is SignMode.V1Header or SignMode.V3Header or SignMode.V1Query or SignMode.V3Query or SignMode.Session;

    /// <summary>The documented template a path is (<c>/data/get/TABLE</c>), or null for a path that is not one.</summary>
    public static string? Template(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (FuzzApi.Templates.Contains(path)) return path;
        var parts = path.Split('/');
        if (parts.Length == 4 && parts[1] == "data" && FuzzApi.TableNames.Contains(parts[3], StringComparer.Ordinal))
        {
            var t = $"/data/{parts[2]}/TABLE";
            return FuzzApi.Templates.Contains(t) ? t : null;
        }
        return null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        while (_connections.TryTake(out var c)) c.Dispose();
        foreach (var l in _slotLocks) l.Dispose();
    }

    /// <summary>Keeps what later cases may send back, and replaces an account the case ended.</summary>
    private async Task Observe(FuzzCase c, RawResponse r)
    {
        if (r.Status == 200 && r.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true && r.Body.Length is > 0 and < 100_000)
        {
            try
            {
                if (JsonNode.Parse(r.Body) is JsonObject o)
                {
                    if (o["next_token"]?.GetValueKind() == JsonValueKind.String && o["next_token"]!.GetValue<string>() is { Length: > 0 } token) Context.SeenToken = token;
                    if (o["mtime"]?.GetValueKind() == JsonValueKind.Number && o["sender"]?.GetValueKind() == JsonValueKind.String)
                    {
                        Context.SeenTime = o["mtime"]!.ToJsonString();
                        Context.SeenSender = o["sender"]!.GetValue<string>();
                    }
                }
            }
            catch (JsonException)
            {
                // checked and reported by Check
            }
        }
        if (!IsValidSignature(c.Sign) || c.Caller == FuzzCase.AdminCaller) return;
        var ended = r.Status == 200 && FuzzApi.EndsAccount(c.Path) || r.Status == 401;
        if (ended) await Replace(c.Caller);
        else if (c.Sign == SignMode.Session && r.Status == 400 && Interlocked.Increment(ref _sessionRefresh[c.Caller]) % 50 == 0)
            Context.SetSession(c.Caller, await StartSession(Context.Account(c.Caller)));
    }

    private async Task Replace(int slot)
    {
        var before = Context.Account(slot);
        await _slotLocks[slot].WaitAsync();
        try
        {
            // Another worker may have replaced it meanwhile.
            if (!ReferenceEquals(before, Context.Account(slot))) return;
            var account = await Accounts.Add(_server, null, ("alias", "fuzz" + slot));
            Context.SetAccount(slot, account, await StartSession(account));
        }
        finally
        {
            _slotLocks[slot].Release();
        }
    }

    private async Task<string?> StartSession(TestAccount account)
    {
        using var client = _server.Client(account, cookies: true);
        var reply = await client.Get("/account/get", ("_session", "1"));
        if (reply.Status != 200) return null;
        return client.Cookies.GetCookies(client.BaseAddress)["bk_session"]?.Value;
    }

    private static string Short(string s) => s.Length > 300 ? s[..300] + "..." : s;
}
