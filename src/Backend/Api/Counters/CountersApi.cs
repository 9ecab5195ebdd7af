using Backend.Api.Accounts;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Api.Counters;

/// <summary>The <c>/counter/*</c> endpoints: get, put, incr. Increments go through <c>Db.IncrAsync</c>, atomic
/// on every driver. Another account's record shows only public columns and only public counters that are not
/// autoincr may be bumped on it: autoincr counters count connections and belong to the connections API, so a
/// client must not be able to fake "how many liked me".</summary>
internal static class CountersApi
{
    /// <summary>Registers the module's services: its account creation and deletion handlers.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddSingleton<IAccountCreationHandler, CountersCreation>();
        services.AddSingleton<IAccountDeletionHandler, CountersDeletion>();
        services.TryAddSingleton<CounterEndpoints>();
        services.AddSingleton<IDbSetup, CountersDbSetup>();
    }

    /// <summary>Makes <c>bk_counter</c> a cached table, as the reference always cached counters: reads go through
    /// the read cache, and every write through the facade (increments by any module) drops the row everywhere.</summary>
    private sealed class CountersDbSetup : IDbSetup
    {
        public void Configure(Db db) => db.Cache.CacheTables([CounterTables.Counter]);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapCountersApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<CounterEndpoints>();
        routes.MapMethods("/counter/get", ApiRoutes.Methods, endpoints.Get);
        routes.MapMethods("/counter/put", ApiRoutes.Methods, endpoints.Put);
        routes.MapMethods("/counter/incr", ApiRoutes.Methods, endpoints.Incr);
        return routes;
    }
}

/// <summary>The handlers of the counter endpoints.</summary>
internal sealed class CounterEndpoints(Db db, ApiReply reply, AccountEvents events)
{
    public async Task Get(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var id = api.Get("id") ?? me;
        await Reply(context, id, me, context.RequestAborted);
    }

    public async Task Put(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var table = db.Table(CounterTables.Counter);
        var row = WritableColumns.From(table, api.Params, api.IsAdmin, forAdd: true);
        row["id"] = me;
        // Put replaces the record: counters not given start again from 0.
        foreach (var c in table.Columns.Where(c => c.Type == ColumnType.Counter && c.Primary == 0))
            if (!row.ContainsKey(c.Name)) row[c.Name] = 0L;
        await db.PutAsync(CounterTables.Counter, row, context.RequestAborted);
        await Reply(context, me, me, CancellationToken.None);
    }

    public async Task Incr(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var id = api.Get("id") ?? me;
        var table = db.Table(CounterTables.Counter);
        var counters = CounterRows.Parse(table, api);
        if (counters.Count == 0) throw ApiException.BadRequest("no counter column given");
        if (id != me)
        {
            // On another account's record only public counters that are not autoincr change; the others are ignored
            // (the original's behaviour), and a request left with nothing to change is a 400.
            foreach (var name in counters.Keys.ToList())
            {
                if (table.Column(name) is not { Pub: true, Autoincr: false }) counters.Remove(name);
            }
            if (counters.Count == 0) throw ApiException.BadRequest("no counter of another account that may be changed was given");
            if (await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = id }, new DbOptions { Select = ["id"] }, context.RequestAborted) is null)
                throw ApiException.NotFound("No account record found");
        }
        await db.IncrAsync(CounterTables.Counter, new DbRow(counters) { ["id"] = id }, context.RequestAborted);
        if (id != me)
        {
            await events.Publish(id, "/counter/incr", string.Join(',', counters.Keys), actor: me, cancellationToken: CancellationToken.None);
        }
        await Reply(context, id, me, CancellationToken.None);
    }

    private async Task Reply(HttpContext context, string id, string me, CancellationToken cancellationToken)
    {
        var row = await db.GetCachedAsync(CounterTables.Counter, new DbRow { ["id"] = id }, cancellationToken);
        await reply.Send(context, CounterRows.Shape(db.Table(CounterTables.Counter), id, row, me));
    }
}
