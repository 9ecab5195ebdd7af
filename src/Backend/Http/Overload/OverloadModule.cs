using Backend.Configuration;
using Backend.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backend.Http.Overload;

/// <summary>The rate limiters of a process, by client address and by account; either may be absent.</summary>
internal sealed class RateLimits(ClientRateLimiter? byAddress, ClientRateLimiter? byAccount) : IAsyncDisposable
{
    public ClientRateLimiter? ByAddress { get; } = byAddress;

    public ClientRateLimiter? ByAccount { get; } = byAccount;

    public async ValueTask DisposeAsync()
    {
        if (ByAddress is not null) await ByAddress.DisposeAsync();
        if (ByAccount is not null) await ByAccount.DisposeAsync();
    }
}

/// <summary>Overload protection (docs/operations.md, "Limits"): the busy check (<c>-api-busy-latency</c>,
/// <c>-api-max-requests</c>) and the request rate limits by client address and by account (<c>-api-rlimits-*</c>).
/// The connection limits are Kestrel's, set by the builder.</summary>
internal static class OverloadModule
{
    /// <summary>Registers the options, the busy monitor (its probe thread runs only in a process that serves HTTP)
    /// and the rate limiters. The rate rules are parsed now: a bad one is a configuration error before anything
    /// starts.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config, bool servesHttp)
    {
        services.AddBackendOptions<OverloadOptions>(config);
        var options = config.Configuration.Get<OverloadOptions>() ?? new OverloadOptions();
        var byAddress = RateRule.Parse(options.IpPaths, options.IpRate, options.IpMax, config.GivenName("api-rlimits-ip-path"));
        var byAccount = RateRule.Parse(options.IdPaths, options.IdRate, options.IdMax, config.GivenName("api-rlimits-id-path"));
        services.TryAddSingleton(sp => new BusyMonitor(options.BusyLatencyMs, sp.GetRequiredService<TimeProvider>(), sp.GetService<StatsCollector>(),
            sp.GetRequiredService<ILogger<BusyMonitor>>()));
        if (servesHttp) services.AddHostedService(sp => sp.GetRequiredService<BusyMonitor>());
        services.TryAddSingleton(_ => new RateLimits(
            byAddress.Length > 0 ? new ClientRateLimiter(byAddress, ClientRateLimiter.Address) : null,
            byAccount.Length > 0 ? new ClientRateLimiter(byAccount, ClientRateLimiter.Account) : null));
        // UseRateLimiter wants the rate limiting services (its metrics) registered.
        if (byAddress.Length > 0 || byAccount.Length > 0) services.AddRateLimiter(_ => { });
    }

    /// <summary>Before the error handler and the access gate (after the WebSocket middleware): the busy check, then
    /// the limits by client address. Nothing is added for what is off.</summary>
    public static void UseBeforeGate(IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<IOptions<OverloadOptions>>().Value;
        if (options.BusyLatencyMs > 0 || options.MaxRequests > 0) app.UseMiddleware<BusyMiddleware>();
        if (app.ApplicationServices.GetRequiredService<RateLimits>().ByAddress is { } byAddress) app.UseRateLimiter(byAddress.Options);
    }

    /// <summary>After the access gate, which knows the account: the limits by account.</summary>
    public static void UseAfterGate(IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<RateLimits>().ByAccount is { } byAccount) app.UseRateLimiter(byAccount.Options);
    }
}
