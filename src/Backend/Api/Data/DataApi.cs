using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api.Data;

/// <summary>The data API of the reference: generic access to any described table, <c>/data/columns[/TABLE]</c>,
/// <c>/data/keys/TABLE</c> and <c>/data/OP/TABLE</c>. Options are the <c>_</c> parameters, the others column values.
/// Secure by default: admins only unless <c>-api-unsecure data</c> (rules in <see cref="DataCaller"/>).</summary>
public static class DataApi
{
    private static readonly string[] Methods = ["GET", "POST"];

    /// <summary>Registers the module's services (none: it reads the configuration per request).</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapDataApi(this IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapMethods("/data/columns", Methods, AllColumns);
        routes.MapMethods("/data/columns/{table}", Methods, Columns);
        routes.MapMethods("/data/keys/{table}", Methods, Keys);
        routes.MapMethods("/data/{op}/{table}", Methods, Operation);
        return routes;
    }

    private static DataCaller Caller(HttpContext context) =>
        DataCaller.From(context.Api(), context.RequestServices.GetRequiredService<BackendConfig>());

    private static Db Db(HttpContext context) => context.RequestServices.GetRequiredService<Db>();

    private static async Task AllColumns(HttpContext context)
    {
        var caller = Caller(context);
        var result = new DbRow();
        foreach (var table in Db(context).Tables.All.Where(caller.CanSee)) result[table.Name] = DataColumns.Describe(table);
        await ApiReply.Send(context, result);
    }

    private static async Task Columns(HttpContext context, string table)
    {
        var t = Caller(context).Table(Db(context), table);
        await ApiReply.Send(context, DataColumns.Describe(t));
    }

    private static async Task Keys(HttpContext context, string table)
    {
        var t = Caller(context).Table(Db(context), table);
        await ApiReply.Send(context, t.PrimaryKeys);
    }

    private static async Task Operation(HttpContext context, string op, string table)
    {
        var caller = Caller(context);
        var handler = DataOperations.Find(op) ?? throw ApiException.NotFound($"Unknown operation: {op}");
        var db = Db(context);
        var api = context.Api();
        var t = caller.Table(db, table);
        // Every option is checked on every operation, so a malformed one is a 400 before anything is written.
        var options = ApiOptions.Parse(api, t);
        options.NoProcessRows = api.Flag("_noprocessrows");
        var request = new DataRequest(api, caller, db, t, options);
        await ApiReply.Send(context, await handler(request, context.RequestAborted));
    }
}
