using Backend.Auth;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Backend.Api.Data;

/// <summary>The data API of the reference: generic access to any described table, <c>/data/columns[/TABLE]</c>,
/// <c>/data/keys/TABLE</c> and <c>/data/OP/TABLE</c>. Options are the <c>_</c> parameters, the others column values.
/// Secure by default: admins only unless <c>-api-unsecure data</c> (rules in <see cref="DataCaller"/>).</summary>
internal static class DataApi
{
    /// <summary>Registers the module's services: the endpoints (<c>-api-unsecure</c> comes from the core's
    /// <see cref="AccessOptions"/>).</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.TryAddSingleton<DataEndpoints>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapDataApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<DataEndpoints>();
        routes.MapMethods("/data/columns", ApiRoutes.Methods, endpoints.AllColumns);
        routes.MapMethods("/data/columns/{table}", ApiRoutes.Methods, endpoints.Columns);
        routes.MapMethods("/data/keys/{table}", ApiRoutes.Methods, endpoints.Keys);
        routes.MapMethods("/data/{op}/{table}", ApiRoutes.Methods, endpoints.Operation);
        return routes;
    }
}

/// <summary>The handlers of the data endpoints.</summary>
internal sealed class DataEndpoints(Db db, ApiReply reply, IOptions<AccessOptions> access)
{
    private readonly bool _unsecure = access.Value.Unsecure.Contains("data", StringComparer.Ordinal);

    private DataCaller Caller(HttpContext context) => DataCaller.From(context.Api(), _unsecure);

    public async Task AllColumns(HttpContext context)
    {
        var caller = Caller(context);
        var result = new DbRow();
        foreach (var table in db.Tables.All.Where(caller.CanSee)) result[table.Name] = DataColumns.Describe(table);
        await reply.Send(context, result);
    }

    public async Task Columns(HttpContext context, string table)
    {
        var t = Caller(context).Table(db, table);
        await reply.Send(context, DataColumns.Describe(t));
    }

    public async Task Keys(HttpContext context, string table)
    {
        var t = Caller(context).Table(db, table);
        await reply.Send(context, t.PrimaryKeys);
    }

    public async Task Operation(HttpContext context, string op, string table)
    {
        var caller = Caller(context);
        var handler = DataOperations.Find(op) ?? throw ApiException.NotFound($"Unknown operation: {op}");
        var api = context.Api();
        var t = caller.Table(db, table);
        // Every option is checked on every operation, so a malformed one is a 400 before anything is written.
        var options = ApiOptions.Parse(api, t);
        options.NoProcessRows = api.Flag("_noprocessrows");
        var request = new DataRequest(api, caller, db, t, options);
        await reply.Send(context, await handler(request, context.RequestAborted));
    }
}
