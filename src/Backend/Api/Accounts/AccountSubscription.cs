using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Backend.Security;
using System.Threading.Channels;
using Backend.Http;
using Backend.Http.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Backend.Api.Accounts;

/// <summary><c>/account/subscribe</c>: an HTTP long poll that answers the caller's events (a message arrived, someone
/// connected, a counter changed) as one JSON list. Events are batched on a clock that starts with the poll and ticks
/// every <c>-api-subscribe-interval</c> ms, so one is delivered at most one interval after it happened; a poll with no
/// event answers <c>[]</c> after <c>-api-subscribe-timeout</c>. Like the reference this is not a queue: events that
/// happen while no poll is open are lost. Over a WebSocket, <c>push=1</c> subscribes the socket instead
/// (<c>docs/websockets.md</c>).</summary>
internal sealed class AccountSubscription(AccountEvents events, ApiReply reply, IOptions<AccountsOptions> options, TimeProvider time, ServerDrain drain)
{
    /// <summary>Most events one reply carries; later ones in the same window are dropped (a client that is that far
    /// behind should re-read its state rather than replay events).</summary>
    public const int MaxEvents = 1000;

    /// <summary>Longest <c>match</c> pattern accepted.</summary>
    public const int MaxPatternLength = 1000;

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    private readonly TimeSpan _interval = TimeSpan.FromMilliseconds(options.Value.SubscribeIntervalMs);
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(options.Value.SubscribeTimeoutMs);

    public async Task Handle(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var match = Pattern(api.Get("match"));
        if (context.Features.Get<WebSocketConnection>() is { } socket && api.Get("push") is "1" or "true")
        {
            // Over a WebSocket, push=1 subscribes the socket itself: each event is sent as its own message
            // {"event":{...}} until the socket closes (or the next push=1 replaces this one).
            await socket.Subscribe(await events.Subscribe(me, text => { if (Matches(match, text)) socket.Push(text); }, context.RequestAborted));
            await reply.Send(context, new JsonObject { ["subscribed"] = true });
            return;
        }
        var queue = Channel.CreateBounded<string>(new BoundedChannelOptions(MaxEvents) { FullMode = BoundedChannelFullMode.DropWrite });
        var aborted = context.RequestAborted;
        var started = time.GetTimestamp();

        await using (await events.Subscribe(me, text => { if (Matches(match, text)) queue.Writer.TryWrite(text); }, aborted))
        {
            // Both clocks are the app's TimeProvider, so a test can move them.
            using var timeout = new CancellationTokenSource(_timeout, time);
            // A worker that drains for a restart ends the poll now with what it has: the client polls again, elsewhere.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted, timeout.Token, drain.Token);
            try
            {
                if (await queue.Reader.WaitToReadAsync(wait.Token))
                {
                    using var tick = CancellationTokenSource.CreateLinkedTokenSource(aborted, drain.Token);
                    await Task.Delay(UntilNextTick(time.GetElapsedTime(started), _interval), time, tick.Token);
                }
            }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
            {
                // The timeout passed without an event (or the worker drains): answer what is there so the client polls again.
            }
        }
        var list = new JsonArray();
        while (queue.Reader.TryRead(out var text)) list.Add(JsonNode.Parse(text));
        await reply.Send(context, list);
    }

    /// <summary>Time left until the next multiple of <paramref name="interval"/> since the poll started.</summary>
    internal static TimeSpan UntilNextTick(TimeSpan elapsed, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) return TimeSpan.Zero;
        var ticks = Math.Max(1, (long)Math.Ceiling(elapsed / interval));
        var left = interval * ticks - elapsed;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static Regex? Pattern(string? match)
    {
        if (match is null) return null;
        if (match.Length > MaxPatternLength) throw ApiException.BadRequest($"match is longer than {MaxPatternLength} characters");
        try
        {
            // Client-supplied: non-backtracking where the pattern allows it; clients of the original send JavaScript
            // regexps that may use backreferences or lookarounds, which keep the backtracking engine and its timeout.
            return SafeRegex.Create(match, RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException)
        {
            throw ApiException.BadRequest("match is not a valid regular expression");
        }
    }

    private static bool Matches(Regex? match, string text)
    {
        if (match is null) return true;
        try
        {
            return match.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
