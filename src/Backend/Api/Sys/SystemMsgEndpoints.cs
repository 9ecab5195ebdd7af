using System.Threading.Channels;
using Backend.Cache;
using Backend.Http;
using Backend.PubSub;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Backend.Api.Sys;

/// <summary><c>/system/msg/(msg|publish|subscribe|stats)</c>, the reference's "access to the messaging functions" on the
/// configured <see cref="IPubSub"/> (<c>-msg-type</c>): an operator can send a message to a channel, watch a channel for
/// a while, and see the transport's failure counts. Admins only, unless <c>-api-unsecure system</c>; even then only an
/// admin may publish on or watch the platform's own channels (<c>account:*</c>, the private events of accounts, and
/// <c>bk:*</c>), so opening the system API does not let one account forge or read another's events.</summary>
internal sealed class SystemMsgEndpoints(IPubSub pubsub, AccountEvents events, ApiReply reply, IOptions<PubSub.PubSubOptions> options, DbCacheCluster? cluster = null)
{
    /// <summary>Longest channel name.</summary>
    public const int MaxChannel = 256;

    /// <summary>Longest message (characters).</summary>
    public const int MaxMessage = 64 * 1024;

    /// <summary>Longest watch (<c>timeout</c>, ms).</summary>
    public const int MaxWatchMs = 30_000;

    /// <summary>Most messages one watch returns.</summary>
    public const int MaxMessages = 1000;

    private readonly string _type = options.Value.Type;

    public async Task Handle(HttpContext context, string op, bool unsecure)
    {
        var api = context.Api();
        api.RequireAccountId();
        if (!api.IsAdmin && !unsecure) throw new ApiException(403, "Access denied: the system API is for admins");
        var ct = context.RequestAborted;
        object result;
        try
        {
            result = op switch
            {
                "msg" or "publish" => await Publish(api, ct),
                "subscribe" => await Watch(api, ct),
                "stats" => Stats(),
                _ => throw ApiException.NotFound($"Unknown msg operation: {op}"),
            };
        }
        catch (PubSubException)
        {
            throw new ApiException(503, "The message transport is unavailable");
        }
        await reply.Send(context, result);
    }

    private static string Channel(ApiRequest api)
    {
        var channel = api.Require("channel");
        if (channel.Length > MaxChannel) throw ApiException.BadRequest($"channel is longer than {MaxChannel} characters");
        if (!api.IsAdmin && (channel.StartsWith("account:", StringComparison.Ordinal) || channel.StartsWith("bk:", StringComparison.Ordinal)))
            throw new ApiException(403, "Access denied: account: and bk: channels are for admins");
        return channel;
    }

    private async Task<object> Publish(ApiRequest api, CancellationToken ct)
    {
        var channel = Channel(api);
        var message = api.Require("msg");
        if (message.Length > MaxMessage) throw ApiException.BadRequest($"msg is longer than {MaxMessage} characters");
        await pubsub.PublishAsync(channel, message, ct);
        return new { };
    }

    // Waits for the first message up to `timeout` ms (1000 by default), then gathers what else arrives within 100 ms.
    private async Task<object> Watch(ApiRequest api, CancellationToken ct)
    {
        var channel = Channel(api);
        var timeout = api.Int("timeout", 1000, 0, MaxWatchMs);
        var queue = System.Threading.Channels.Channel.CreateBounded<string>(new BoundedChannelOptions(MaxMessages) { FullMode = BoundedChannelFullMode.DropWrite });
        await using (await pubsub.SubscribeAsync(channel, m => queue.Writer.TryWrite(m), ct))
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(timeout);
            try
            {
                if (await queue.Reader.WaitToReadAsync(wait.Token)) await Task.Delay(100, ct);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // nothing within the timeout
            }
        }
        var messages = new List<string>();
        while (queue.Reader.TryRead(out var m)) messages.Add(m);
        return new { channel, messages };
    }

    private object Stats()
    {
        return new
        {
            type = _type,
            events = new { failed = events.Failed },
            dbcache = cluster is null ? null : new { shared = cluster.Shared, received = cluster.Received, broadcastFailures = cluster.BroadcastFailures, cacheFailures = cluster.CacheFailures },
        };
    }
}
