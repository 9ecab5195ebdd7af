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
public static class StatusApi
{
    private static readonly string[] Methods = ["GET", "POST"];

    /// <summary>Registers the module's services.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        var interval = config.GetLong("api-status-interval");
        services.TryAddSingleton(sp => new StatusPresence(interval, sp.GetRequiredService<TimeProvider>()));
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

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapMethods("/status/put", Methods, Put);
        routes.MapMethods("/status/get", Methods, Get);
        routes.MapMethods("/status/del", Methods, Del);
        return routes;
    }

    private static async Task Put(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var status = api.Require("status");
        var db = context.RequestServices.GetRequiredService<Db>();
        var presence = context.RequestServices.GetRequiredService<StatusPresence>();
        var options = new DbOptions { Cached = true };
        await db.Put(StatusTables.Status, new DbRow { ["id"] = me, ["status"] = status }, options, context.RequestAborted);
        // Read back for the stored mtime (the facade sets it); this also warms the cache for the next /status/get.
        var row = await db.GetCached(StatusTables.Status, new DbRow { ["id"] = me }, null, CancellationToken.None);
        await ApiReply.Send(context, presence.Reply(me, row));
    }

    private static async Task Get(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var db = context.RequestServices.GetRequiredService<Db>();
        var presence = context.RequestServices.GetRequiredService<StatusPresence>();
        var ids = api.Get("id");
        if (ids is null || !ids.Contains(',', StringComparison.Ordinal))
        {
            var id = ids?.Trim() is { Length: > 0 } one ? one : me;
            var row = await db.GetCached(StatusTables.Status, new DbRow { ["id"] = id }, null, context.RequestAborted);
            await ApiReply.Send(context, presence.Reply(id, row));
            return;
        }
        var list = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count > ApiOptions.MaxCount) throw ApiException.BadRequest($"at most {ApiOptions.MaxCount} ids");
        // One List call; every id asked for is answered, in order, never-set ones as not online.
        var found = (await db.List(StatusTables.Status, list.Select(id => (object)new DbRow { ["id"] = id }), null, context.RequestAborted)).Rows
            .Where(r => r.GetString("id") is not null)
            .ToDictionary(r => r.GetString("id")!, StringComparer.Ordinal);
        await ApiReply.Send(context, list.Select(id => presence.Reply(id, found.GetValueOrDefault(id))).ToList());
    }

    private static async Task Del(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var db = context.RequestServices.GetRequiredService<Db>();
        var presence = context.RequestServices.GetRequiredService<StatusPresence>();
        await db.Del(StatusTables.Status, new DbRow { ["id"] = me }, new DbOptions { Cached = true }, context.RequestAborted);
        await ApiReply.Send(context, presence.Reply(me, null));
    }
}
