using System.Globalization;
using Backend.Auth;
using Backend.Cache;
using Backend.Configuration;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Backend.Api.Sys;

/// <summary>The system API of the reference: <c>/system/cache/(init|stats|keys|get|set|put|incr|del|clear)</c> on the
/// configured <see cref="ICache"/>, and <c>/system/msg/(msg|publish|subscribe|stats)</c> on the configured pub/sub
/// (<see cref="SystemMsgEndpoints"/>), and <c>/system/jobs/(submit|runs|queue|list)</c> (<see cref="SystemJobEndpoints"/>, admins only). Admins only, unless <c>-api-unsecure system</c> opens it to every signed-in
/// account (as the reference allowed: the cache then holds nothing private).</summary>
internal static class SystemApi
{
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.TryAddSingleton<SystemEndpoints>();
        services.TryAddSingleton<SystemMsgEndpoints>();
        services.TryAddSingleton<SystemJobEndpoints>();
    }

    public static IEndpointRouteBuilder MapSystemApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<SystemEndpoints>();
        routes.MapMethods("/system/cache/{op}", ApiRoutes.Methods, endpoints.Cache);
        routes.MapMethods("/system/msg/{op}", ApiRoutes.Methods, endpoints.Msg);
        routes.MapMethods("/system/stats/get", ApiRoutes.Methods, endpoints.Stats);
        var jobs = routes.Handlers<SystemJobEndpoints>();
        routes.MapMethods("/system/jobs/{op}", ApiRoutes.Methods, jobs.Handle);
        return routes;
    }
}

/// <summary>The handlers of the system endpoints.</summary>
internal sealed class SystemEndpoints(ICache cache, ApiReply reply, IOptions<AccessOptions> access, SystemMsgEndpoints msg, Metrics.MachineStats stats)
{
    /// <summary>Most keys <c>/system/cache/keys</c> lists (<c>_count</c>, 1000 by default).</summary>
    public const int MaxKeys = 10_000;

    private readonly bool _unsecure = access.Value.Unsecure.Contains("system", StringComparer.Ordinal);

    /// <summary><c>/system/msg/{op}</c>.</summary>
    public Task Msg(HttpContext context, string op) => msg.Handle(context, op, _unsecure);

    /// <summary><c>/system/stats/get</c>: the reference's statistics (Metrics/ProcessStats), for the whole machine
    /// when the server runs Web workers.</summary>
    public async Task Stats(HttpContext context)
    {
        var api = context.Api();
        api.RequireAccountId();
        if (!api.IsAdmin && !_unsecure) throw new ApiException(403, "Access denied: the system API is for admins");
        var snapshot = await stats.GetAsync(context.RequestAborted);
        await reply.Send(context, snapshot.ToJson());
    }

    public async Task Cache(HttpContext context, string op)
    {
        var api = context.Api();
        api.RequireAccountId();
        if (!api.IsAdmin && !_unsecure) throw new ApiException(403, "Access denied: the system API is for admins");
        var ct = context.RequestAborted;
        object? result;
        try
        {
            result = op switch
            {
                "init" or "clear" => await Clear(api, op, ct),
                "stats" => Stats(await cache.StatsAsync(ct)),
                "keys" => await cache.KeysAsync(api.Get("pattern"), api.Int("_count", 1000, 1, MaxKeys), ct),
                "get" => new { value = await cache.GetAsync(api.Require("name"), ct) },
                "set" or "put" => await Put(api, ct),
                "incr" => new { value = await cache.IncrAsync(api.Require("name"), Number(api.Get("value")), Ttl(api), ct) },
                "del" => new { deleted = await cache.DelAsync(api.Require("name"), ct) },
                _ => throw ApiException.NotFound($"Unknown cache operation: {op}"),
            };
        }
        catch (CacheException ex)
        {
            // A bad key is the caller's; a cache server that is down is a 503 the client may retry.
            throw new ApiException(ex.IsBadInput ? 400 : 503, ex.IsBadInput ? ex.Message : "The cache is unavailable");
        }
        await reply.Send(context, result);
    }

    private async Task<object> Clear(ApiRequest api, string op, CancellationToken ct)
    {
        // init empties the cache as the reference's re-initialisation did; clear takes an optional pattern.
        await cache.ClearAsync(op == "clear" ? api.Get("pattern") : null, ct);
        return new { };
    }

    private async Task<object> Put(ApiRequest api, CancellationToken ct)
    {
        await cache.PutAsync(api.Require("name"), api.Require("value"), Ttl(api), ct);
        return new { };
    }

    private static object Stats(CacheStats s) =>
        new { kind = s.Kind, count = s.Count, max = s.Max, hits = s.Hits, misses = s.Misses, evictions = s.Evictions, errors = s.Errors };

    private static TimeSpan? Ttl(ApiRequest api) => api.Int("ttl", 0, 0, int.MaxValue) is > 0 and var ms ? TimeSpan.FromMilliseconds(ms) : null;

    private static long Number(string? value) =>
        value is null ? 1
        : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
        : throw ApiException.BadRequest("value must be an integer");
}
