using System.Net.Http.Headers;

namespace Backend.Tests.Server;

/// <summary>A <c>/file/get</c> answer as sent: status, content type, caching headers and the exact bytes.</summary>
public sealed record FileReply(int Status, string? ContentType, string? ETag, DateTimeOffset? LastModified, string? CacheControl, byte[] Body);

/// <summary>Helpers of the files API tests: uploads by multipart and raw body, byte-exact fetches with conditional
/// headers, and the files a server's home holds.</summary>
public static class FileTestSupport
{
    private static readonly HttpClient Raw = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Random bytes (every byte value occurs, so a text or encoding slip shows).</summary>
    public static byte[] Bytes(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A prefix no other test uses.</summary>
    public static string NewPrefix() => "t-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Multipart POST of <c>/file/put</c> with text fields and one file.</summary>
    public static async Task<ApiResponse> PutMultipart(BackendClient client, byte[] file, string field, string fileName, params (string Name, string Value)[] fields)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in fields) content.Add(new StringContent(value), name);
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Add(part, field, fileName);
        var bytes = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        return await client.Send(HttpMethod.Post, "/file/put", "", bytes, content.Headers.ContentType!.ToString(), null);
    }

    /// <summary>POST of <c>/file/put</c> with the content as the raw body and the parameters in the query.</summary>
    public static Task<ApiResponse> PutRaw(BackendClient client, byte[] body, string? contentType, params (string Name, string Value)[] query) =>
        client.Send(HttpMethod.Post, "/file/put", BackendClient.Encode(query), body, contentType, null);

    /// <summary>Signed GET of <c>/file/get</c> (or a raw query), with extra request headers.</summary>
    public static async Task<FileReply> Fetch(BackendClient client, string rawQuery, params (string Name, string Value)[] headers)
    {
        var uri = client.Url("/file/get", rawQuery);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        var signature = client.Sign(HttpMethod.Get, uri, null, null, new SignOptions());
        if (signature is not null) Assert.True(request.Headers.TryAddWithoutValidation("bk-signature", signature));
        foreach (var (name, value) in headers) Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        using var response = await Raw.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode < 500, $"{rawQuery} answered {(int)response.StatusCode}");
        return new FileReply((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.ETag?.ToString(),
            response.Content.Headers.LastModified, response.Headers.CacheControl?.ToString(), body);
    }

    /// <summary><see cref="Fetch(BackendClient, string, ValueTuple{string, string}[])"/> of a prefix and name.</summary>
    public static Task<FileReply> Fetch(BackendClient client, string prefix, string name, params (string Name, string Value)[] headers) =>
        Fetch(client, BackendClient.Encode(("prefix", prefix), ("name", name)), headers);

    /// <summary>Every file under the server's files directory (<c>HOME/files</c>), relative, with <c>/</c>.</summary>
    public static string[] StoredFiles(BackendServer server)
    {
        var root = Path.Combine(server.Home, "files");
        return Directory.Exists(root)
            ? [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal)]
            : [];
    }
}
