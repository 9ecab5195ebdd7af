using System.Globalization;
using Backend.Api.Accounts;
using Backend.Configuration;
using Backend.Data;
using Backend.Http;
using Backend.Images;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Net.Http.Headers;

namespace Backend.Api.Icons;

/// <summary>The icon endpoints of the reference: account icons (<c>/account/put|get|del|select/icon</c>), icons by
/// prefix (<c>/icon/put|get|del|select</c>), images without a row (<c>/icon/upload</c>) and the plain image URLs
/// (<c>/image/PREFIX/ID/TYPE</c>, <c>/image/uploads/...</c>). Every upload goes through <see cref="IImageProcessor"/>
/// (oriented, metadata stripped, scaled by <c>_width</c>/<c>_height</c>, written as <c>_ext</c>); every read checks the
/// icon's <c>acl_allow</c> and answers 404 to anyone not allowed.</summary>
internal static class IconsApi
{
    /// <summary>Registers the store, the endpoints and the account deletion handler.</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        ImageServices.AddImageProcessor(services, config);
        // Parsed now: a bad -api-icon-limit or -api-icon-sizes stops the start-up with the item named.
        services.TryAddSingleton(new IconSettings(config.Configuration.Get<IconsOptions>() ?? new IconsOptions()));
        services.TryAddSingleton<IconStore>();
        services.TryAddSingleton<IconEndpoints>();
        services.AddSingleton<IAccountDeletionHandler, IconsDeletion>();
        AccountIconSummary.AddServices(services);
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapIconsApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<IconEndpoints>();
        var methods = ApiRoutes.Methods;
        routes.MapMethods("/account/put/icon", methods, endpoints.PutAccountIcon);
        routes.MapMethods("/account/get/icon", methods, endpoints.GetAccountIcon);
        routes.MapMethods("/account/del/icon", methods, endpoints.DelAccountIcon);
        routes.MapMethods("/account/select/icon", methods, endpoints.SelectAccountIcons);
        routes.MapMethods("/image/{prefix}/{id}/{type?}", methods, endpoints.Image);
        routes.MapMethods("/image/uploads/{hash}/{prefix}/{name}", methods, endpoints.UploadedImage);
        routes.MapMethods("/icon/put", methods, endpoints.Put);
        routes.MapMethods("/icon/upload", methods, endpoints.Upload);
        routes.MapMethods("/icon/get", methods, endpoints.Get);
        routes.MapMethods("/icon/del", methods, endpoints.Del);
        routes.MapMethods("/icon/select", methods, endpoints.Select);
        return routes;
    }
}

/// <summary>The handlers of the icon endpoints.</summary>
internal sealed class IconEndpoints(IconStore store, ApiReply reply)
{
    private const int MaxSelect = 1000;

    public Task PutAccountIcon(HttpContext context) =>
        Put(context, IconTables.AccountPrefix, IconNames.AccountType(context.Api().Get("type")), withDetails: false);

    public Task GetAccountIcon(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        return Serve(context, api.Get("id") ?? me, IconTables.AccountPrefix, IconNames.AccountType(api.Get("type")), me);
    }

    public async Task DelAccountIcon(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        if (!await store.DeleteAsync(me, IconTables.AccountPrefix, IconNames.AccountType(api.Get("type"))))
            throw ApiException.NotFound("Icon not found");
        await reply.Send(context, new DbRow());
    }

    public async Task SelectAccountIcons(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var id = api.Get("id") ?? me;
        var rows = await store.SelectAsync(id, IconTables.AccountPrefix, "", me, MaxSelect, context.RequestAborted);
        await reply.Send(context, rows.Select(r => Describe(r, me, accountIcon: true)).ToList());
    }

    /// <summary><c>/image/PREFIX/ID/TYPE</c>: an icon by a plain URL, for <c>img</c> tags (<c>/image/account/ID/TYPE</c>
    /// the account icons); unsigned where <c>-api-allow-path</c> opens it, and then only icons with <c>acl_allow</c>
    /// <c>all</c>.</summary>
    public Task Image(HttpContext context)
    {
        var values = context.Request.RouteValues;
        var prefix = IconNames.Prefix(values["prefix"] as string);
        var id = values["id"] as string ?? "";
        var type = values["type"] as string;
        return Serve(context, id, prefix, TypeOf(prefix, type), context.Api().AccountId);
    }

    /// <summary>An icon type under <paramref name="prefix"/>: the account icons' rules for the <c>account</c> prefix
    /// (through <c>/icon/*</c> too, so every account icon is one the account endpoints can list, serve and delete), the
    /// general ones otherwise.</summary>
    private static string TypeOf(string prefix, string? type) =>
        prefix == IconTables.AccountPrefix ? IconNames.AccountType(type) : IconNames.Type(type);

    /// <summary><c>/icon/upload</c>: an image stored without a row, answered <c>{url}</c>. It is anyone's who has the
    /// URL (subject to the access rules of <c>/image/</c>), since there is no row to hold an <c>acl_allow</c>.</summary>
    public async Task Upload(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var prefix = IconNames.Prefix(api.Get("prefix"));
        // The reference takes /icon/put's parameters here: checked alike, though only the image ones matter.
        IconNames.Type(api.Get("type"));
        IconAccess.Parse(api.Get("acl_allow"));
        var request = ImageUpload.RequestOf(api);
        request = request with { Format = request.Format ?? "jpg" };
        var upload = await ImageUpload.ReadAsync(context, "icon", context.RequestAborted, store.Settings.LimitOf(prefix)) ?? throw ApiException.BadRequest("icon is required");
        var path = await store.UploadAsync(me, prefix, upload, request, context.RequestAborted);
        // uploads/HH/HASH/PREFIX/NAME → /image/uploads/HASH/PREFIX/NAME
        var parts = path.Split('/');
        var url = store.Settings.ImagesUrl is { } cdn ? $"{cdn}/{path}" : $"/image/uploads/{parts[2]}/{parts[3]}/{parts[4]}";
        await reply.Send(context, new DbRow { ["url"] = url });
    }

    /// <summary><c>/image/uploads/HASH/PREFIX/NAME</c>: an image of <c>/icon/upload</c>.</summary>
    public async Task UploadedImage(HttpContext context)
    {
        var values = context.Request.RouteValues;
        var path = IconStore.UploadPath(values["hash"] as string, values["prefix"] as string, values["name"] as string)
            ?? throw ApiException.NotFound("Image not found");
        var response = context.Response;
        if (store.Settings.ImagesUrl is { } cdn)
        {
            Redirect(response, $"{cdn}/{path}");
            return;
        }
        await using var content = await store.OpenUploadAsync(path, context.RequestAborted) ?? throw ApiException.NotFound("Image not found");
        // An upload never changes (a new one gets a new name): cached for good.
        response.Headers.CacheControl = "public, max-age=31536000, immutable";
        response.Headers.XContentTypeOptions = "nosniff";
        response.ContentType = ImageFormats.ContentTypeOfExtension(path[(path.LastIndexOf('.') + 1)..]);
        if (content.CanSeek) response.ContentLength = content.Length;
        await content.CopyToAsync(response.Body, context.RequestAborted);
    }

    public Task Put(HttpContext context)
    {
        var api = context.Api();
        var prefix = IconNames.Prefix(api.Get("prefix"));
        return Put(context, prefix, TypeOf(prefix, api.Get("type")), withDetails: true);
    }

    public Task Get(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var prefix = IconNames.Prefix(api.Get("prefix"));
        return Serve(context, api.Get("id") ?? me, prefix, TypeOf(prefix, api.Get("type")), me);
    }

    public async Task Del(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var prefix = IconNames.Prefix(api.Get("prefix"));
        if (!await store.DeleteAsync(me, prefix, TypeOf(prefix, api.Get("type"))))
            throw ApiException.NotFound("Icon not found");
        await reply.Send(context, new DbRow());
    }

    public async Task Select(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var prefix = IconNames.Prefix(api.Get("prefix"));
        // A type prefix: "" selects all of them, also for account icons.
        var type = api.Get("type") is { Length: > 0 } t ? TypeOf(prefix, t) : "";
        var rows = await store.SelectAsync(api.Get("id") ?? me, prefix, type, me, MaxSelect, context.RequestAborted);
        await reply.Send(context, rows.Select(r => Describe(r, me, accountIcon: false)).ToList());
    }

    private async Task Put(HttpContext context, string prefix, string type, bool withDetails)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var ct = context.RequestAborted;
        var columns = new DbRow();
        // "" is a value here (only the owner), so it is read from the parameters as given.
        if (api.Params.TryGetValue("acl_allow", out var acl)) columns["acl_allow"] = IconAccess.Parse(acl);
        if (withDetails)
        {
            if (api.Get("descr") is { } descr) columns["descr"] = descr.Length <= 1024 ? descr : throw ApiException.BadRequest("descr is too long: at most 1024 characters");
            if (api.Get("latitude") is not null || api.Get("longitude") is not null)
            {
                columns["latitude"] = Coordinate(api, "latitude", 90);
                columns["longitude"] = Coordinate(api, "longitude", 180);
            }
        }
        // The reference's default format for icons is jpg.
        var request = ImageUpload.RequestOf(api);
        request = request with { Format = request.Format ?? "jpg" };
        var upload = await ImageUpload.ReadAsync(context, "icon", ct, store.Settings.LimitOf(prefix)) ?? throw ApiException.BadRequest("icon is required");
        var row = await store.PutAsync(me, prefix, type, upload, request, columns, ct);
        await reply.Send(context, Describe(row, me, accountIcon: !withDetails));
    }

    private static double Coordinate(ApiRequest api, string name, double bound) =>
        double.TryParse(api.Require(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && Math.Abs(v) <= bound
            ? v
            : throw ApiException.BadRequest($"{name} must be a number between -{bound} and {bound}");

    /// <summary>An icon as the select and put replies show it: <c>id</c>, <c>type</c> (without the prefix),
    /// <c>prefix</c>, <c>url</c>, the size and format, and <c>acl_allow</c> to its owner only.</summary>
    private static DbRow Describe(DbRow row, string me, bool accountIcon)
    {
        var id = row.GetString("id") ?? "";
        var prefix = row.GetString("prefix") ?? "";
        var key = row.GetString("type") ?? "";
        var type = key.Length > prefix.Length && key.StartsWith(prefix + ":", StringComparison.Ordinal) ? key[(prefix.Length + 1)..] : "";
        var described = new DbRow
        {
            ["id"] = id,
            ["type"] = type,
            ["prefix"] = prefix,
            ["url"] = accountIcon
                ? $"/account/get/icon?id={Uri.EscapeDataString(id)}&type={Uri.EscapeDataString(type)}"
                : $"/icon/get?prefix={Uri.EscapeDataString(prefix)}&type={Uri.EscapeDataString(type)}&id={Uri.EscapeDataString(id)}",
            ["ext"] = row.GetString("ext"),
            ["width"] = row.GetLong("width"),
            ["height"] = row.GetLong("height"),
            ["mtime"] = row.GetLong("mtime"),
        };
        if (!accountIcon)
        {
            if (row.GetString("descr") is { } descr) described["descr"] = descr;
            if (row.TryGetValue("latitude", out var latValue) && DbValues.ToDouble(latValue) is { } lat) described["latitude"] = lat;
            if (row.TryGetValue("longitude", out var lonValue) && DbValues.ToDouble(lonValue) is { } lon) described["longitude"] = lon;
        }
        if (id == me) described["acl_allow"] = row.GetString("acl_allow") ?? "";
        return described;
    }

    /// <summary>Answers the icon's bytes (or its rendition's, by <c>size</c>), or 304 to a conditional GET that has
    /// them, or 404; a public icon with <c>-api-images-url</c> is a redirect there.</summary>
    private async Task Serve(HttpContext context, string id, string prefix, string type, string? viewer)
    {
        var ct = context.RequestAborted;
        var size = context.Api().Get("size") is { Length: > 0 } name ? store.Settings.SizeOf(prefix, name) : null;
        var found = await store.FindAsync(id, prefix, type, viewer, ct, size) ?? throw ApiException.NotFound("Icon not found");
        var response = context.Response;
        // Only a public icon leaves for the CDN: its store path is derived from the owner's id, so a private one there
        // would be one guess away. The version keeps a CDN from serving the previous upload of the same path.
        if (store.Settings.ImagesUrl is { } cdn && found.Row.GetString("acl_allow") == "all")
        {
            Redirect(response, string.Create(CultureInfo.InvariantCulture, $"{cdn}/{found.Path}?v={found.Mtime:x}"));
            return;
        }
        var etag = IconStore.ETag(found);
        var modified = DateTimeOffset.FromUnixTimeMilliseconds(found.Mtime);
        var headers = response.GetTypedHeaders();
        response.Headers.ETag = etag;
        headers.LastModified = modified;
        // A public icon may sit in shared caches (CDNs) for an hour; any other is the viewer's business: kept by the
        // browser, and revalidated (a 304) before each use.
        response.Headers.CacheControl = found.Row.GetString("acl_allow") == "all" ? "public, max-age=3600" : "private, no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        if (ConditionalGet.NotModified(context.Request, new EntityTagHeaderValue(etag), modified))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        await using var content = await store.OpenAsync(found, ct) ?? throw ApiException.NotFound("Icon not found");
        response.ContentType = found.ContentType;
        if (content.CanSeek) response.ContentLength = content.Length;
        await content.CopyToAsync(response.Body, ct);
    }

    private static void Redirect(HttpResponse response, string url)
    {
        response.StatusCode = StatusCodes.Status302Found;
        response.Headers.Location = url;
        response.Headers.CacheControl = "public, max-age=300";
    }
}

/// <summary>On account deletion: its icons, rows and files.</summary>
internal sealed class IconsDeletion(IconStore store) : IAccountDeletionHandler
{
    public Task DeleteAccountDataAsync(string accountId, DbRow? account, CancellationToken cancellationToken) => store.DeleteAllAsync(accountId);
}
