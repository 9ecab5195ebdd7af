using System.Globalization;
using Backend.Configuration;
using Backend.Files;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Backend.Api.Files;

/// <summary>The files API of the reference: <c>/file/get</c>, <c>/file/put</c>, <c>/file/del</c>. Files live in the
/// files store (the <see cref="IFileStore"/> keyed <see cref="FileStores.Files"/>: <c>-files-dir</c>, or S3 with
/// <c>-api-files-s3</c>) at <c>PREFIX/NAME</c>. A prefix is a namespace shared by every account (files are not per
/// account): any signed-in account may get a file; only admins may put or delete, unless <c>-api-unsecure file</c>.</summary>
internal static class FilesApi
{
    /// <summary>Registers the options and the endpoints (the stores are the core's, <see cref="FileStores"/>).</summary>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        services.AddBackendOptions<FilesOptions>(config);
        services.TryAddSingleton<FileEndpoints>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<FileEndpoints>();
        routes.MapMethods("/file/get", ApiRoutes.Methods, endpoints.Get);
        routes.MapMethods("/file/put", ApiRoutes.Methods, endpoints.Put);
        routes.MapMethods("/file/del", ApiRoutes.Methods, endpoints.Del);
        return routes;
    }
}

/// <summary>The handlers of the file endpoints.</summary>
internal sealed class FileEndpoints(
    [FromKeyedServices(FileStores.Files)] IFileStore store, ApiReply reply, IOptions<FilesOptions> options, TimeProvider time)
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly FilesOptions _options = options.Value;
    private readonly bool _unsecure = options.Value.Unsecure.Contains("file", StringComparer.Ordinal);

    /// <summary><c>/file/get?prefix=P&amp;name=N</c>: the bytes, with a content type by extension and ETag /
    /// Last-Modified (a matching If-None-Match or If-Modified-Since is a 304); 404 when there is no such file.</summary>
    public async Task Get(HttpContext context)
    {
        // Signed in, unless an allow-list rule opened the path (-api-allow-path ^/file/get$ for public files).
        var api = context.Api();
        var ct = context.RequestAborted;
        var path = PathOf(api);
        var response = context.Response;
        // Stat before open: when the file is replaced in between, the tag is the older one, so a client that keeps the
        // newer body revalidates it next time; the other order could pin a stale body to a fresh tag.
        var info = await store.GetInfoAsync(path, ct);
        if (info is not null)
        {
            var etag = new EntityTagHeaderValue("\"" + (info.Version ?? info.Length.ToString("x", CultureInfo.InvariantCulture) + "-" + info.LastModified.UtcTicks.ToString("x", CultureInfo.InvariantCulture)) + "\"");
            var modified = info.LastModified.ToUniversalTime();
            response.Headers.ETag = etag.ToString();
            response.Headers.LastModified = HeaderUtilities.FormatDate(modified);
            // Signed content: a browser may keep it but must ask each time; shared caches must not keep it.
            response.Headers.CacheControl = "private, no-cache";
            if (ConditionalGet.NotModified(context.Request, etag, modified))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
        }
        var content = await store.OpenAsync(path, ct) ?? throw ApiException.NotFound("File not found");
        await using (content)
        {
            response.ContentType = ContentTypes.TryGetContentType(path, out var type) ? type : "application/octet-stream";
            if (info is not null) response.ContentLength = info.Length;
            else if (content.CanSeek) response.ContentLength = content.Length;
            // Uploaded by clients: never guessed as something else, never run as a page of this origin.
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
            await content.CopyToAsync(response.Body, ct);
        }
    }

    /// <summary><c>/file/put</c>: stores the content (multipart file, raw body or base64) at <c>PREFIX/NAME</c>,
    /// replacing a file of that name; answers <c>{prefix, name, size, url}</c> with the stored name.</summary>
    public async Task Put(HttpContext context)
    {
        var api = context.Api();
        RequireWriter(api);
        var ct = context.RequestAborted;
        var prefix = FileNames.Prefix(api.Get("prefix"));
        var name = FileNames.Name(api.Get("name"));
        var ext = api.Get("_ext") is { } e ? FileNames.Extension(e) : null;
        var stored = FileNames.Stored(name, ext, api.Flag("_tm") ? time.GetUtcNow().ToUnixTimeMilliseconds() : null);
        var bytes = await FileUpload.ReadAsync(context, name, _options.UploadLimit, ct);
        await store.PutAsync(prefix + "/" + stored, bytes, ct);
        await reply.Send(context, new Dictionary<string, object>
        {
            ["prefix"] = prefix,
            ["name"] = stored,
            ["size"] = bytes.Length,
            ["url"] = "/file/get?prefix=" + Uri.EscapeDataString(prefix) + "&name=" + Uri.EscapeDataString(stored),
        });
    }

    /// <summary><c>/file/del?prefix=P&amp;name=N</c>: deletes the file; 404 when there is none.</summary>
    public async Task Del(HttpContext context)
    {
        var api = context.Api();
        RequireWriter(api);
        var path = PathOf(api);
        if (!await store.DeleteAsync(path, context.RequestAborted)) throw ApiException.NotFound("File not found");
        await reply.Send(context, new Dictionary<string, object>());
    }

    private static string PathOf(ApiRequest api) => FileNames.Prefix(api.Get("prefix")) + "/" + FileNames.Name(api.Get("name"));

    private void RequireWriter(ApiRequest api)
    {
        api.RequireAccountId();
        if (!api.IsAdmin && !_unsecure) throw new ApiException(403, "Access denied: only admins may put or delete files (see -api-unsecure file)");
    }
}
