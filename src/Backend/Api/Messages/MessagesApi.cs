using System.Globalization;
using Backend.Api.Accounts;
using Backend.Configuration;
using Backend.Data;
using Backend.Files;
using Backend.Http;
using Backend.Images;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Api.Messages;

/// <summary>The <c>/message/*</c> endpoints of the reference: add, get (inbox, archive, sent), archive, del (inbox,
/// archive, sent) and image. Every call works on the caller's own boxes only: the box owner is always the
/// authenticated account, whatever <c>id</c> or <c>_ops</c> the client sends.</summary>
internal static class MessagesApi
{
    /// <summary>Registers the image processor (<see cref="IImageProcessor"/>), the <see cref="MessageStore"/>, the
    /// endpoints and the <c>cleanup-images</c> job. The images store (<see cref="IFileStore"/>) is registered before the
    /// modules, by <see cref="FileStores"/>.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        // The image processor (libvips unless the app registered another IImageProcessor first): shared with icons.
        ImageServices.AddImageProcessor(services, config);
        services.TryAddSingleton<MessageStore>();
        services.TryAddSingleton<MessageEndpoints>();
        services.AddSingleton<IAccountDeletionHandler, MessagesDeletion>();
        // The cleanup-images job: kept with -api-disable message too, like the tables and the deletion handler.
        MessageImageCleanup.AddServices(services);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<MessageEndpoints>();
        var methods = ApiRoutes.Methods;
        routes.MapMethods("/message/add", methods, endpoints.Add);
        routes.MapMethods("/message/get", methods, c => endpoints.List(c, MessageTables.Inbox));
        routes.MapMethods("/message/get/archive", methods, c => endpoints.List(c, MessageTables.Archive));
        routes.MapMethods("/message/get/sent", methods, c => endpoints.List(c, MessageTables.Sent));
        routes.MapMethods("/message/archive", methods, endpoints.Archive);
        routes.MapMethods("/message/del", methods, c => endpoints.Del(c, MessageTables.Inbox));
        routes.MapMethods("/message/del/archive", methods, c => endpoints.Del(c, MessageTables.Archive));
        routes.MapMethods("/message/del/sent", methods, c => endpoints.Del(c, MessageTables.Sent));
        routes.MapMethods("/message/image", methods, endpoints.Image);
        return routes;
    }
}

/// <summary>The handlers of the message endpoints.</summary>
internal sealed class MessageEndpoints(Db db, ApiReply reply, MessageStore store, AccountEvents events, IImageProcessor images)
{
    public async Task Add(HttpContext context)
    {
        var api = context.Api();
        var ct = context.RequestAborted;
        var me = api.RequireAccountId();
        var recipient = api.Require("id");
        // A message to oneself is allowed (the original's client sends notes to itself): it lands in one's own inbox and,
        // unless _nosent, in one's sent box.
        var msg = api.Get("msg");
        if (msg is { Length: > MessageTables.MaxMessageLength })
            throw new ApiException(413, $"msg is too long: at most {MessageTables.MaxMessageLength} characters");
        var upload = await ImageUpload.ReadAsync(context, "icon", ct);
        if (msg is null && upload is null) throw ApiException.BadRequest("msg or icon is required");
        // Checked before the image is processed, so a bad parameter costs no decoding.
        var imageRequest = upload is null ? null : ImageUpload.RequestOf(api);
        var noSent = api.Flag("_nosent");
        var publish = api.Get("_publish") is null || api.Flag("_publish");
        if (await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = recipient }, ct) is null)
            throw ApiException.NotFound("No account record found");

        // Columns an app added to the message tables pass through (only described ones: the reply is built from this
        // row, so anything else, such as a bk-signature query parameter, would be echoed back); the message's own
        // columns are set here.
        var inboxTable = db.Table(MessageTables.Inbox);
        var columns = new DbRow();
        foreach (var (k, v) in api.Columns())
        {
            if (k is "id" or "mkey" or "sender" or "recipient" or "mtime" or "icon" or "msg") continue;
            if (inboxTable.Column(k) is { Primary: 0, Hidden: false } c && (!c.Admin || api.IsAdmin)) columns[k] = v;
        }
        columns["msg"] = msg;
        // The stored image is the processed one: upright, without metadata (EXIF/GPS, XMP, ...), sized by
        // _width/_height, in the _ext format (docs/images.md).
        var image = upload is null ? null : MessageImage.From(await upload.ProcessAsync(images, imageRequest!, ct));
        var sent = await store.AddAsync(me, recipient, columns, image, noSent);
        if (publish && recipient != me)
        {
            await events.Publish(recipient, "/message/add", type: "1", actor: me, cancellationToken: CancellationToken.None, text: msg);
        }
        await reply.Send(context, MessageRows.Reply(MessageTables.Sent, sent));
    }

    public async Task List(HttpContext context, string table)
    {
        var api = context.Api();
        var ct = context.RequestAborted;
        var me = api.RequireAccountId();
        var schema = db.Table(table);
        var options = ApiOptions.Parse(api, schema);
        // Rows are fetched whole (archiving and image links need every column); _select applies to the reply.
        var select = options.Select;
        options.Select = null;
        var archive = table == MessageTables.Inbox && api.Flag("_archive");
        var trash = table == MessageTables.Inbox && api.Flag("_trash");
        if (archive && trash) throw ApiException.BadRequest("use either _archive or _trash");
        var query = new DbRow();
        foreach (var (k, v) in api.Columns())
            if (schema.HasColumn(k)) query[k] = v;
        var result = await store.SelectAsync(table, me, query, options, ct);
        var rows = result.Rows.Select(r => MessageRows.Reply(table, r)).ToList();
        foreach (var row in result.Rows)
        {
            if (archive) await store.ArchiveAsync(row);
            else if (trash) await store.DeleteAsync(table, row);
        }
        if (api.Flag("_details")) await AddDetails(db, rows, MessageTables.OtherColumn(table), ct);
        if (select is { Count: > 0 })
        {
            foreach (var row in rows)
                foreach (var key in row.Keys.Where(k => !select.Contains(k)).ToList()) row.Remove(key);
        }
        await reply.Send(context, new DbResult { Rows = rows, NextToken = result.NextToken });
    }

    /// <summary>Adds the other account's public columns (one <c>Db.ListAsync</c> for the page) to each row; the
    /// message's own columns win over same-named account ones.</summary>
    private static async Task AddDetails(Db db, List<DbRow> rows, string column, CancellationToken ct)
    {
        var ids = rows.Select(r => r.GetString(column)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) return;
        var accounts = db.Table(AccountTables.Account);
        var found = (await db.ListAsync(AccountTables.Account, ids.Select(id => (object)new DbRow { ["id"] = id }), ct)).Rows
            .Where(r => r.GetString("id") is not null)
            .ToDictionary(r => r.GetString("id")!, r => RowFilters.Public(accounts, r), StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.GetString(column) is not { } id || !found.TryGetValue(id, out var account)) continue;
            foreach (var (k, v) in account) row.TryAdd(k, v);
        }
    }

    public async Task Archive(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var sender = api.Require("sender");
        var mtime = RequireTime(api);
        var row = await store.GetAsync(MessageTables.Inbox, me, sender, mtime, context.RequestAborted)
            ?? throw ApiException.NotFound("Message not found");
        await store.ArchiveAsync(row);
        await reply.Send(context, MessageRows.Reply(MessageTables.Archive, row));
    }

    public async Task Del(HttpContext context, string table)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var column = MessageTables.OtherColumn(table);
        var other = api.Get(column);
        var mtime = api.Get("mtime") is null ? (long?)null : RequireTime(api);
        // Without either the call would empty the whole box: most likely a client bug, so it is refused.
        if (other is null && mtime is null) throw ApiException.BadRequest($"{column} or mtime is required");
        var rows = await store.FindAsync(table, me, other, mtime, context.RequestAborted);
        foreach (var row in rows) await store.DeleteAsync(table, row);
        await reply.Send(context, new Dictionary<string, object> { ["count"] = rows.Count });
    }

    public async Task Image(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var sender = api.Require("sender");
        var mtime = RequireTime(api);
        var found = await store.OpenImageAsync(me, sender, mtime, api.Get("recipient"), context.RequestAborted)
            ?? throw ApiException.NotFound("Image not found");
        await using var content = found.Content;
        var response = context.Response;
        response.ContentType = found.ContentType;
        if (content.CanSeek) response.ContentLength = content.Length;
        // The image is the caller's own data: browsers may keep it, shared caches must not.
        response.Headers.CacheControl = "private, max-age=86400";
        // Only the magic bytes were checked: a browser must not guess HTML or script from the rest of the file.
        response.Headers.XContentTypeOptions = "nosniff";
        await content.CopyToAsync(response.Body, context.RequestAborted);
    }

    private static long RequireTime(ApiRequest api)
    {
        var text = api.Require("mtime");
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t <= MessageTables.MaxTime
            ? t
            : throw ApiException.BadRequest("mtime must be a time in milliseconds");
    }
}
