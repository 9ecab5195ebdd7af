using Backend.Api.Accounts;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Api.Connections;

/// <summary>The <c>/connection/*</c> and <c>/reference/*</c> endpoints of the reference. Every call works on the
/// caller's own rows; the reverse rows and the counters are kept by <see cref="ConnectionWriter"/>.</summary>
internal static class ConnectionsApi
{
    /// <summary>Registers the module's services: its account-deletion handler and the row processor that splits the
    /// stored <c>TYPE:ID</c> key.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddSingleton<IAccountDeletionHandler, ConnectionsDeletion>();
        services.AddSingleton<IDbSetup, ConnectionsDbSetup>();
        services.TryAddSingleton<ConnectionEndpoints>();
        services.TryAddSingleton<ConnectionChanges>();
    }

    private sealed class ConnectionsDbSetup : IDbSetup
    {
        public void Configure(Db db)
        {
            db.SetProcessRow(ConnectionTables.Connection, ConnectionKey.Process);
            db.SetProcessRow(ConnectionTables.Reference, ConnectionKey.Process);
        }
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapConnectionsApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<ConnectionEndpoints>();
        var changes = routes.Handlers<ConnectionChanges>();
        var methods = ApiRoutes.Methods;
        routes.MapMethods("/connection/add", methods, context => endpoints.Save(context, replace: false));
        routes.MapMethods("/connection/put", methods, context => endpoints.Save(context, replace: true));
        routes.MapMethods("/connection/update", methods, changes.Update);
        routes.MapMethods("/connection/incr", methods, changes.Incr);
        routes.MapMethods("/connection/del", methods, changes.Del);
        routes.MapMethods("/connection/get", methods, context => endpoints.Get(context, ConnectionTables.Connection));
        routes.MapMethods("/connection/select", methods, context => endpoints.Select(context, ConnectionTables.Connection));
        routes.MapMethods("/reference/get", methods, context => endpoints.Get(context, ConnectionTables.Reference));
        routes.MapMethods("/reference/select", methods, context => endpoints.Select(context, ConnectionTables.Reference));
        return routes;
    }
}

/// <summary>The handlers of <c>/connection/add|put|get|select</c> and <c>/reference/get|select</c>.</summary>
internal sealed class ConnectionEndpoints(Db db, ApiReply reply, AccountEvents events)
{
    public async Task Save(HttpContext context, bool replace)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var type = ConnectionInput.Type(api, required: true)!;
        var other = ConnectionInput.Other(api, required: true)!;
        // Every option is parsed before the first write, so a malformed one writes nothing.
        var how = new ConnectionWrite(
            Replace: replace,
            Reference: !api.Flag("_noreference"),
            Counters: !api.Flag("_nocounter"),
            Publish: api.Get("_publish") is null || api.Flag("_publish"));
        var connected = api.Flag("_connected");
        var details = api.Flag("_details");
        await ConnectionWriter.Save(db, events, api, me, other, type, how, context.RequestAborted);

        var table = db.Table(ConnectionTables.Connection);
        var options = new DbOptions();
        var row = RowFilters.Own(table, await ConnectionReader.Get(db, ConnectionTables.Connection, me, other, type, options, CancellationToken.None)
            ?? new DbRow { ["id"] = other, ["type"] = type });
        if (connected && await Reverse(me, other, type) is { } reverse) row["connected"] = reverse;
        if (details) await ConnectionReader.Details(db, [row], options, CancellationToken.None);
        await reply.Send(context, row);
    }

    /// <summary>The other account's connection to me of the same type, as <c>{id: OTHER, type, state, mtime}</c>
    /// plus its public columns, or null.</summary>
    private async Task<DbRow?> Reverse(string me, string other, string type)
    {
        var raw = await ConnectionReader.Get(db, ConnectionTables.Connection, other, me, type, new DbOptions { NoProcessRows = true }, CancellationToken.None);
        if (raw is null) return null;
        var row = RowFilters.Public(db.Table(ConnectionTables.Connection), raw);
        row["id"] = other;
        row["type"] = type;
        foreach (var name in new[] { "state", "mtime" })
            if (raw.TryGetValue(name, out var v)) row[name] = v;
        return row;
    }

    public async Task Get(HttpContext context, string tableName)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var type = ConnectionInput.Type(api, required: true)!;
        var other = ConnectionInput.Other(api, required: true)!;
        var table = db.Table(tableName);
        var options = ConnectionReader.Options(api, table);
        var details = api.Flag("_details");
        var row = await ConnectionReader.Get(db, tableName, me, other, type, options, context.RequestAborted)
            ?? throw ApiException.NotFound(tableName == ConnectionTables.Connection ? "No connection found" : "No reference found");
        row = RowFilters.Own(table, row);
        if (details) await ConnectionReader.Details(db, [row], options, context.RequestAborted);
        await reply.Send(context, row);
    }

    public async Task Select(HttpContext context, string tableName)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var table = db.Table(tableName);
        var details = api.Flag("_details");
        var result = await ConnectionReader.Select(db, tableName, api, me, context.RequestAborted);
        var rows = result.Rows.Select(r => RowFilters.Own(table, r)).ToList();
        if (details) await ConnectionReader.Details(db, rows, new DbOptions { NoProcessRows = api.Flag("_noprocessrows") }, context.RequestAborted);
        await reply.Send(context, new DbResult { Rows = rows, NextToken = result.NextToken });
    }
}
