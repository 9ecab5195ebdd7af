using Backend.Auth;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Api.Accounts;

/// <summary>The <c>/account/*</c> endpoints of the reference: add, get, select, update, del, put/secret, subscribe.</summary>
public static class AccountsApi
{
    private static readonly string[] Methods = ["GET", "POST"];

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/account/add", Methods, Add);
        routes.MapMethods("/account/get", Methods, Get);
        routes.MapMethods("/account/select", Methods, Select);
        routes.MapMethods("/account/update", Methods, Update);
        routes.MapMethods("/account/del", Methods, Del);
        routes.MapMethods("/account/put/secret", Methods, PutSecret);
        routes.MapMethods("/account/subscribe", Methods, AccountSubscription.Handle);
        return routes;
    }

    private static Db Db(HttpContext c) => c.RequestServices.GetRequiredService<Db>();

    private static async Task Add(HttpContext context)
    {
        var api = context.Api();
        await ApiReply.Send(context, await AccountWriter.AddAsync(Db(context), api.Params, api.IsAdmin, context.RequestAborted,
            context.RequestServices.GetServices<IAccountCreationHandler>()));
    }

    private static async Task Get(HttpContext context)
    {
        var api = context.Api();
        var db = Db(context);
        var me = api.RequireAccountId();
        var table = db.Table(AccountTables.Account);
        if (api.Get("id") is { } ids)
        {
            var list = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
            if (list.Count > ApiOptions.MaxCount) throw ApiException.BadRequest($"at most {ApiOptions.MaxCount} ids");
            // One List call; rows come back in the order the ids were asked for, missing ones left out.
            var found = (await db.List(AccountTables.Account, list.Select(id => (object)new DbRow { ["id"] = id }), null, context.RequestAborted)).Rows
                .ToDictionary(r => r.GetString("id")!, StringComparer.Ordinal);
            var rows = list.Where(found.ContainsKey).Select(id => RowFilters.For(table, found[id], me)).ToList();
            foreach (var own in rows.Where(r => r.GetString("id") == me)) AccountAge.Add(own, DateTimeOffset.UtcNow);
            await ApiReply.Send(context, rows);
            return;
        }
        var row = await db.Get(AccountTables.Account, new DbRow { ["id"] = me }, null, context.RequestAborted)
            ?? throw ApiException.NotFound("No account record found");
        if (api.Get("_session") is not null)
        {
            var auth = context.RequestServices.GetRequiredService<RequestAuthenticator>();
            if (api.Flag("_session"))
            {
                await auth.StartSessionAsync(context, api.Account!.GetString("login")!);
            }
            else
            {
                auth.EndSession(context);
            }
        }
        var reply = RowFilters.Own(table, row);
        AccountAge.Add(reply, DateTimeOffset.UtcNow);
        await ApiReply.Send(context, reply);
    }

    private static async Task Select(HttpContext context)
    {
        var api = context.Api();
        var db = Db(context);
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
        var result = await db.Select(AccountTables.Account, query, options, context.RequestAborted);
        var rows = result.Rows.Select(r => RowFilters.For(table, r, me)).ToList();
        if (dropId) rows.ForEach(r => r.Remove("id"));
        await ApiReply.Send(context, new DbResult { Rows = rows, NextToken = result.NextToken });
    }

    private static async Task Update(HttpContext context)
    {
        var api = context.Api();
        var db = Db(context);
        var me = api.RequireAccountId();
        var table = db.Table(AccountTables.Account);
        var row = AccountWriter.Writable(table, api.Params, api.IsAdmin, forAdd: false);
        foreach (var key in row.Where(kv => kv.Value is string { Length: 0 }).Select(kv => kv.Key).ToList()) row.Remove(key);
        row["id"] = me;
        var result = await db.Update(AccountTables.Account, row, null, context.RequestAborted);
        if (result.Affected == 0) throw ApiException.NotFound("No account record found");
        // The account may be deleted between the update and this read (a concurrent /account/del): then it is gone.
        var updated = await db.Get(AccountTables.Account, new DbRow { ["id"] = me }, null, context.RequestAborted)
            ?? throw ApiException.NotFound("No account record found");
        await ApiReply.Send(context, RowFilters.Own(table, updated));
    }

    private static async Task Del(HttpContext context)
    {
        var api = context.Api();
        var db = Db(context);
        var me = api.RequireAccountId();
        var table = db.Table(AccountTables.Account);
        var row = await db.Get(AccountTables.Account, new DbRow { ["id"] = me }, null, context.RequestAborted);
        await db.Del(AccountTables.Auth, new DbRow { ["login"] = api.Account!.GetString("login") }, null, CancellationToken.None);
        await db.Del(AccountTables.Account, new DbRow { ["id"] = me }, null, CancellationToken.None);
        // The account is gone and nobody can sign as it: the modules' rows go after it, whatever the client does.
        foreach (var handler in context.RequestServices.GetServices<IAccountDeletionHandler>())
            await handler.DeleteAccountDataAsync(me, row, CancellationToken.None);
        context.RequestServices.GetRequiredService<RequestAuthenticator>().EndSession(context);
        await ApiReply.Send(context, row is null ? new DbRow { ["id"] = me } : RowFilters.Own(table, row));
    }

    private static async Task PutSecret(HttpContext context)
    {
        var api = context.Api();
        var db = Db(context);
        api.RequireAccountId();
        var secret = api.Require("secret");
        await db.Update(AccountTables.Auth, new DbRow { ["login"] = api.Account!.GetString("login"), ["secret"] = secret }, null, context.RequestAborted);
        await ApiReply.Send(context, new DbRow());
    }
}
