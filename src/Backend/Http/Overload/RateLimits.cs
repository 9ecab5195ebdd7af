using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Backend.Configuration;
using Backend.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Backend.Http.Overload;

/// <summary>One rate of a client: <paramref name="Rate"/> requests a second with bursts up to <paramref name="Max"/>
/// (a token bucket, as the reference's rlimits), for the paths <paramref name="Path"/> matches (null: every path no
/// other rule took). A rate of 0 exempts the paths.</summary>
internal sealed record RateRule(Regex? Path, int Rate, int Max)
{
    /// <summary>The rules of one kind of client: each item of <paramref name="paths"/> (<c>REGEX=RATE</c> or
    /// <c>REGEX=RATE/MAX</c>, first match wins) then, when <paramref name="rate"/> is not 0, the rule of every other
    /// path. Empty when nothing is limited. A bad item is a <see cref="ConfigException"/> naming
    /// <paramref name="parameter"/>.</summary>
    public static RateRule[] Parse(IEnumerable<string> paths, int rate, int max, string parameter)
    {
        var rules = new List<RateRule>();
        foreach (var item in paths)
        {
            var eq = item.LastIndexOf('=');
            var (ruleRate, ruleMax) = eq > 0 ? Numbers(item[(eq + 1)..]) : (-1, -1);
            if (ruleRate < 0 || ruleMax < 0)
                throw new ConfigException($"invalid value for -{parameter}: {ConfigValues.Quote(item)} is not REGEX=RATE or REGEX=RATE/MAX (requests a second, burst)");
            Regex regex;
            try
            {
                regex = SafeRegex.Create(item[..eq], RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException ex)
            {
                throw new ConfigException($"invalid value for -{parameter}: {ConfigValues.Quote(item[..eq])} is not a valid regular expression: {ex.Message}");
            }
            rules.Add(new RateRule(regex, ruleRate, ruleMax == 0 ? ruleRate : ruleMax));
        }
        if (rate > 0) rules.Add(new RateRule(null, rate, max == 0 ? rate : max));
        // Path rules that only exempt, with no rate for the other paths, limit nothing.
        return rules.Any(r => r.Rate > 0) ? [.. rules] : [];
    }

    private static (int Rate, int Max) Numbers(string text)
    {
        var slash = text.IndexOf('/');
        var rate = Number(slash < 0 ? text : text[..slash]);
        var max = slash < 0 ? 0 : Number(text[(slash + 1)..]);
        return rate < 0 || max < 0 ? (-1, -1) : (rate, max);
    }

    private static int Number(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 1_000_000 ? n : -1;
}

/// <summary>A partition of a rate limiter: the rule and the client (an <see cref="IPAddress"/> or an account id).</summary>
internal readonly record struct RateKey(int Rule, object? Client);

/// <summary>Request rates of one kind of client (addresses before the access gate, accounts after it) on ASP.NET
/// Core's rate limiter: a token bucket per rule and client (<see cref="PartitionedRateLimiter"/>, which refills them
/// and drops those idle and full for 10 s, so memory follows the clients active now). A refused request gets
/// <c>{"status":429,"message":"Too many requests"}</c> with <c>Retry-After</c> in seconds.</summary>
internal sealed class ClientRateLimiter : IAsyncDisposable
{
    public const string Message = "Too many requests";

    private static readonly RateLimitPartition<RateKey> NoLimit = RateLimitPartition.GetNoLimiter(new RateKey(-1, null));

    private readonly RateRule[] _rules;
    private readonly Func<HttpContext, object?> _client;
    private readonly Func<RateKey, RateLimiter>[] _factories;

    /// <param name="rules">From <see cref="RateRule.Parse"/>, not empty.</param>
    /// <param name="client">The client of a request (null: not limited).</param>
    public ClientRateLimiter(RateRule[] rules, Func<HttpContext, object?> client)
    {
        _rules = rules;
        _client = client;
        _factories = [.. rules.Select(r => Factory(r))];
        Limiter = PartitionedRateLimiter.Create<HttpContext, RateKey>(Partition);
        Options = new RateLimiterOptions { GlobalLimiter = Limiter, RejectionStatusCode = StatusCodes.Status429TooManyRequests, OnRejected = OnRejected };
    }

    /// <summary>Limits by the client's address (behind <c>-proxy-port</c>, the address the proxy saw).</summary>
    public static object? Address(HttpContext context) => context.Connection.RemoteIpAddress;

    /// <summary>Limits by the account the access gate authenticated; anonymous requests are not limited here.</summary>
    public static object? Account(HttpContext context) => context.Features.Get<ApiRequest>()?.AccountId;

    public PartitionedRateLimiter<HttpContext> Limiter { get; }

    /// <summary>For <c>UseRateLimiter</c>.</summary>
    public RateLimiterOptions Options { get; }

    private static Func<RateKey, RateLimiter> Factory(RateRule rule)
    {
        var options = new TokenBucketRateLimiterOptions
        {
            TokenLimit = rule.Max,
            TokensPerPeriod = Math.Max(1, rule.Rate),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            // The partitioned limiter refills its buckets on its own timer.
            AutoReplenishment = false,
        };
        return _ => new TokenBucketRateLimiter(options);
    }

    /// <summary>The index of the rule for <paramref name="path"/>, or -1.</summary>
    internal int Match(string? path)
    {
        path ??= "/";
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Path is not { } regex) return i;
            try
            {
                if (regex.IsMatch(path)) return i;
            }
            catch (RegexMatchTimeoutException)
            {
                // a backtracking pattern that took too long on this path: not a match
            }
        }
        return -1;
    }

    private RateLimitPartition<RateKey> Partition(HttpContext context)
    {
        if (_client(context) is not { } client) return NoLimit;
        var rule = Match(context.Request.Path.Value);
        return rule < 0 || _rules[rule].Rate == 0 ? NoLimit : new RateLimitPartition<RateKey>(new RateKey(rule, client), _factories[rule]);
    }

    private static ValueTask OnRejected(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (long)Math.Ceiling(after.TotalSeconds)) : 1;
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return new ValueTask(JsonReply.Error(rejected.HttpContext, StatusCodes.Status429TooManyRequests, Message));
    }

    public ValueTask DisposeAsync() => Limiter.DisposeAsync();
}
