using Backend.Api.Accounts;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Api.Status;

/// <summary>The status / presence endpoints of the reference: <c>/status/put</c>, <c>/status/get</c>,
/// <c>/status/del</c>. Reads go through the facade's read-through cache (<c>bk_status</c> is a cached table, so every
/// write through the facade, including the data API's, drops the entry).</summary>
internal static class StatusApi
{
    /// <summary>Registers the module's services: its options, the presence rule, the endpoints.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddBackendOptions<StatusOptions>(config);
        services.TryAddSingleton<StatusPresence>();
        services.TryAddSingleton<StatusEndpoints>();
        services.TryAddSingleton<IAccountPresence, StatusAccountPresence>();
        services.AddSingleton<IAccountDeletionHandler, StatusDeletion>();
        services.AddSingleton<IDbSetup, StatusDbSetup>();
    }

    /// <summary>Makes <c>bk_status</c> a cached table and registers its row processor (the computed <c>online</c>
    /// property).</summary>
    private sealed class StatusDbSetup(StatusPresence presence) : IDbSetup
    {
        public void Configure(Db db)
        {
            db.Cache.CacheTables([StatusTables.Status]);
            db.SetProcessRow(StatusTables.Status, presence.Process);
        }
    }

    /// <summary>Presence for the other modules: the status row read through the cache.</summary>
    private sealed class StatusAccountPresence(Db db, StatusPresence presence) : IAccountPresence
    {
        public async ValueTask<bool> IsOnlineAsync(string accountId, CancellationToken cancellationToken) =>
            await db.GetCachedAsync(StatusTables.Status, new DbRow { ["id"] = accountId }, cancellationToken) is { } row && presence.IsOnline(row);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<StatusEndpoints>();
        routes.MapMethods("/status/put", ApiRoutes.Methods, endpoints.Put);
        routes.MapMethods("/status/get", ApiRoutes.Methods, endpoints.Get);
        routes.MapMethods("/status/del", ApiRoutes.Methods, endpoints.Del);
        return routes;
    }
}

/// <summary>The handlers of the status endpoints.</summary>
internal sealed class StatusEndpoints(Db db, ApiReply reply, StatusPresence presence)
{

    public async Task Put(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var status = api.Require("status");
        var options = new DbOptions { Cached = true };
        await db.PutAsync(StatusTables.Status, new DbRow { ["id"] = me, ["status"] = status }, options, context.RequestAborted);
        // Read back for the stored mtime (the facade sets it); this also warms the cache for the next /status/get.
        var row = await db.GetCachedAsync(StatusTables.Status, new DbRow { ["id"] = me }, CancellationToken.None);
        await reply.Send(context, presence.Reply(me, row));
    }

    public async Task Get(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var ids = api.Get("id");
        if (ids is null || !ids.Contains(',', StringComparison.Ordinal))
        {
            var id = ids?.Trim() is { Length: > 0 } one ? one : me;
            var row = await db.GetCachedAsync(StatusTables.Status, new DbRow { ["id"] = id }, context.RequestAborted);
            await reply.Send(context, presence.Reply(id, row));
            return;
        }
        var list = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > ApiOptions.MaxCount) throw ApiException.BadRequest($"at most {ApiOptions.MaxCount} ids");
        // One List call; every id asked for is answered, in order, never-set ones as not online.
        var found = (await db.ListAsync(StatusTables.Status, list.Select(id => (object)new DbRow { ["id"] = id }), context.RequestAborted)).Rows
            .Where(r => r.GetString("id") is not null)
            .ToDictionary(r => r.GetString("id")!, StringComparer.Ordinal);
        await reply.Send(context, list.Select(id => presence.Reply(id, found.GetValueOrDefault(id))).ToList());
    }

    public async Task Del(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        await db.DelAsync(StatusTables.Status, new DbRow { ["id"] = me }, new DbOptions { Cached = true }, context.RequestAborted);
        await reply.Send(context, presence.Reply(me, null));
    }
}
