using Backend.Auth;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Api.Accounts;

/// <summary>The <c>/account/*</c> endpoints of the reference: add, get, select, update, del, put/secret, subscribe.</summary>
internal static class AccountsApi
{
    /// <summary>Registers the module's services: its options (<c>/account/subscribe</c>) and the endpoints.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddBackendOptions<AccountsOptions>(config);
        services.TryAddSingleton<AccountEndpoints>();
        services.TryAddSingleton<AccountSubscription>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<AccountEndpoints>();
        var subscription = routes.Handlers<AccountSubscription>();
        var methods = ApiRoutes.Methods;
        routes.MapMethods("/account/add", methods, endpoints.Add);
        routes.MapMethods("/account/get", methods, endpoints.Get);
        routes.MapMethods("/account/select", methods, endpoints.Select);
        routes.MapMethods("/account/update", methods, endpoints.Update);
        routes.MapMethods("/account/del", methods, endpoints.Del);
        routes.MapMethods("/account/put/secret", methods, endpoints.PutSecret);
        routes.MapMethods("/account/subscribe", methods, subscription.Handle);
        return routes;
    }
}

/// <summary>The handlers of the <c>/account/*</c> endpoints but subscribe (<see cref="AccountSubscription"/>). The
/// creation, deletion and view handlers are the modules' (and the app's) registered at build time.</summary>
internal sealed class AccountEndpoints(Db db, ApiReply reply, RequestAuthenticator auth, TimeProvider time,
    IEnumerable<IAccountCreationHandler> creationHandlers, IEnumerable<IAccountDeletionHandler> deletionHandlers,
    IEnumerable<IAccountViewHandler> viewHandlers, IEnumerable<IAccountWriteCheck> writeChecks)
{
    private readonly IAccountWriteCheck[] _writeChecks = [.. writeChecks];
    private readonly IAccountCreationHandler[] _creationHandlers = [.. creationHandlers];
    private readonly IAccountDeletionHandler[] _deletionHandlers = [.. deletionHandlers];
    private readonly IAccountViewHandler[] _viewHandlers = [.. viewHandlers];

    public async Task Add(HttpContext context)
    {
        var api = context.Api();
        await reply.Send(context, await AccountWriter.AddAsync(db, api.Params, api.IsAdmin, time, context.RequestAborted, _creationHandlers, _writeChecks));
    }

    public async Task Get(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var table = db.Table(AccountTables.Account);
        if (api.Get("id") is { } ids)
        {
            var list = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
            if (list.Count > ApiOptions.MaxCount) throw ApiException.BadRequest($"at most {ApiOptions.MaxCount} ids");
            // One List call; rows come back in the order the ids were asked for, missing ones left out.
            var found = (await db.ListAsync(AccountTables.Account, list.Select(id => (object)new DbRow { ["id"] = id }), context.RequestAborted)).Rows
                .ToDictionary(r => r.GetString("id")!, StringComparer.Ordinal);
            var rows = list.Where(found.ContainsKey).Select(id => View(found[id], RowFilters.For(table, found[id], me), me)).ToList();
            foreach (var own in rows.Where(r => r.GetString("id") == me)) AccountAge.Add(own, time.GetUtcNow());
            await reply.Send(context, rows);
            return;
        }
        var row = await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = me }, context.RequestAborted)
            ?? throw ApiException.NotFound("No account record found");
        if (api.Get("_session") is not null)
        {
            if (api.Flag("_session"))
            {
                await auth.StartSessionAsync(context, api.Account!.GetString("login")!);
            }
            else
            {
                await auth.EndSessionAsync(context);
            }
        }
        var mine = View(row, RowFilters.Own(table, row), me);
        AccountAge.Add(mine, time.GetUtcNow());
        await reply.Send(context, mine);
    }

    /// <summary>The modules' computed properties added to an account as <paramref name="viewerId"/> sees it.</summary>
    private DbRow View(DbRow stored, DbRow shown, string viewerId)
    {
        foreach (var handler in _viewHandlers) handler.AddProperties(stored, shown, viewerId);
        return shown;
    }

    public async Task Select(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var table = db.Table(AccountTables.Account);
        var options = ApiOptions.Parse(api, table);
        var query = api.Columns();
        if (!api.IsAdmin)
        {
            // Searching by a private column would reveal its value one guess at a time.
            foreach (var name in query.Keys.Concat(options.Sort is null ? [] : [options.Sort]))
            {
                if (table.Column(name) is { Pub: false }) throw new ApiException(403, $"cannot search by private column {name}");
            }
        }
        // The owner check needs each row's id even when _select leaves it out: fetch it, filter, then drop it.
        var dropId = options.Select is { Count: > 0 } s && !s.Contains("id");
        if (dropId) options.Select = [.. options.Select!, "id"];
        var result = await db.SelectAsync(AccountTables.Account, query, options, context.RequestAborted);
        var rows = result.Rows.Select(r => RowFilters.For(table, r, me)).ToList();
        if (dropId) rows.ForEach(r => r.Remove("id"));
        await reply.Send(context, new DbResult { Rows = rows, NextToken = result.NextToken });
    }

    public async Task Update(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var table = db.Table(AccountTables.Account);
        var row = WritableColumns.From(table, api.Params, api.IsAdmin, forAdd: false);
        foreach (var key in row.Where(kv => kv.Value is string { Length: 0 }).Select(kv => kv.Key).ToList()) row.Remove(key);
        foreach (var check in _writeChecks) check.Check(row);
        row["id"] = me;
        var result = await db.UpdateAsync(AccountTables.Account, row, context.RequestAborted);
        if (result.Affected == 0) throw ApiException.NotFound("No account record found");
        // The account may be deleted between the update and this read (a concurrent /account/del): then it is gone.
        var updated = await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = me }, context.RequestAborted)
            ?? throw ApiException.NotFound("No account record found");
        await reply.Send(context, RowFilters.Own(table, updated));
    }

    public async Task Del(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var table = db.Table(AccountTables.Account);
        var row = await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = me }, context.RequestAborted);
        await db.DelAsync(AccountTables.Auth, new DbRow { ["login"] = api.Account!.GetString("login") }, CancellationToken.None);
        await db.DelAsync(AccountTables.Account, new DbRow { ["id"] = me }, CancellationToken.None);
        // The account is gone and nobody can sign as it: the modules' rows go after it, whatever the client does.
        foreach (var handler in _deletionHandlers)
            await handler.DeleteAccountDataAsync(me, row, CancellationToken.None);
        await auth.EndAccountSessionsAsync(api.Account!.GetString("login")!);
        if (context.Request.Cookies.ContainsKey(SessionStore.CookieName)) context.Response.Cookies.Delete(SessionStore.CookieName);
        await reply.Send(context, row is null ? new DbRow { ["id"] = me } : RowFilters.Own(table, row));
    }

    public async Task PutSecret(HttpContext context)
    {
        var api = context.Api();
        api.RequireAccountId();
        var secret = api.Require("secret");
        await db.UpdateAsync(AccountTables.Auth, new DbRow { ["login"] = api.Account!.GetString("login"), ["secret"] = secret }, context.RequestAborted);
        // Its sessions hold signatures of the old secret: end them on every node now, not when each node's cached
        // credentials expire.
        await auth.EndAccountSessionsAsync(api.Account!.GetString("login")!);
        await reply.Send(context, new DbRow());
    }
}
