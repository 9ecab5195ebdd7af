using System.Reflection;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Backend.Configuration;
using Backend.Files;
using Backend.Hosting;
using Backend.S3;
using Backend.Tests.Conformance;
using Microsoft.Extensions.DependencyInjection;

namespace Backend.Tests.Files;

/// <summary>The S3 server of the tests: the <c>s3</c> line of scripts/servers (s3rver; its value is the
/// <c>-api-images-s3-options</c> JSON) or BKCS_TEST_POOL_URL_S3 (the same JSON, e.g. for MinIO). Without one the tests
/// skip; under CI=true they fail.</summary>
internal static class S3Server
{
    public static string Options()
    {
        if (ServerUrls.Find("s3") is { } json) return json;
        var why = $"no s3 server: run scripts/servers start s3 (or set {ServerUrls.Variable("s3")} to the -api-images-s3-options JSON)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return null!;
    }

    /// <summary>A client on the server, for what the store does not do (buckets).</summary>
    public static AmazonS3Client Client(string options) => S3StoreOptions.Parse("test", options).CreateClient(null, null, null);

    public static string NewBucket() => "bkcs-t-" + Guid.NewGuid().ToString("N");

    public static async Task DeleteBucketAsync(IAmazonS3 client, string bucket)
    {
        var request = new ListObjectsV2Request { BucketName = bucket };
        while (true)
        {
            var page = await client.ListObjectsV2Async(request);
            foreach (var o in page.S3Objects ?? []) await client.DeleteObjectAsync(bucket, o.Key);
            if (page.IsTruncated != true) break;
            request.ContinuationToken = page.NextContinuationToken;
        }
        await client.DeleteBucketAsync(bucket);
    }
}

/// <summary>The contract on S3 (s3rver from scripts/servers), each test in a bucket of its own, the store made as an
/// app gets it: <c>AddS3()</c> with <c>-api-images-s3</c> and <c>-api-images-s3-options</c>; 5 MiB parts and pages of
/// 3 keys, so uploads go multipart and listings page.</summary>
public sealed class S3FileStoreContractTests : FileStoreContract
{
    private readonly string _bucket = S3Server.NewBucket();
    private readonly string _home = Directory.CreateTempSubdirectory("bkcs-s3-").FullName;
    private AmazonS3Client? _client;
    private ServiceProvider? _services;

    protected override async Task<IFileStore> CreateStoreAsync()
    {
        var json = S3Server.Options();
        _client = S3Server.Client(json);
        await _client.PutBucketAsync(_bucket, Ct);
        var options = JsonNode.Parse(json)!.AsObject();
        options["partSize"] = S3FileStore.MinPartSize;
        options["listPageSize"] = 3;
        var builder = BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", "-api-images-s3", _bucket, "-api-images-s3-options", options.ToJsonString()]).AddS3();
        _services = builder.Services.BuildServiceProvider();
        var store = Assert.IsType<S3FileStore>(_services.GetRequiredService<IFileStore>());
        Assert.Equal(3, store.ListPageSize);
        return store;
    }

    protected override async Task DeleteStoreAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
        if (_client is not null)
        {
            await S3Server.DeleteBucketAsync(_client, _bucket);
            _client.Dispose();
        }
        Directory.Delete(_home, recursive: true);
    }

    // s3rver writes an object's file in place, so a GET racing a PUT can read parts of both (the SDK checks a single
    // PUT's body against its ETag, MD5, and throws) or a body shorter than its Content-Length (the HTTP client throws).
    // Real S3 and MinIO replace objects atomically.
    protected override bool IsDetectedTornRead(Exception ex) =>
        (ex is Amazon.Runtime.AmazonClientException && ex.Message.Contains("hash", StringComparison.OrdinalIgnoreCase))
        || ex is System.Net.Http.HttpIOException { HttpRequestError: System.Net.Http.HttpRequestError.ResponseEnded }
        // s3rver mid-write answers an ETag that is not hex (the SDK fails reading it as an MD5).
        || ex is ArgumentOutOfRangeException { ParamName: "hex" };

    [Fact]
    public async Task Objects_get_a_content_type_by_extension()
    {
        await Store.PutAsync("m/a.png", new byte[] { 1 }, Ct);
        await Store.PutAsync("m/b.jpg", new MemoryStream([1]), Ct);
        await Store.PutAsync("m/c.unknownext", new byte[] { 1 }, Ct);
        await using (var big = new ForwardOnlyStream(new byte[S3FileStore.MinPartSize + 10]))
            await Store.PutAsync("m/d.json", big, Ct);
        Assert.Equal("image/png", (await _client!.GetObjectMetadataAsync(_bucket, "m/a.png", Ct)).Headers.ContentType);
        Assert.Equal("image/jpeg", (await _client.GetObjectMetadataAsync(_bucket, "m/b.jpg", Ct)).Headers.ContentType);
        Assert.Equal("application/octet-stream", (await _client.GetObjectMetadataAsync(_bucket, "m/c.unknownext", Ct)).Headers.ContentType);
        Assert.Equal("application/json", (await _client.GetObjectMetadataAsync(_bucket, "m/d.json", Ct)).Headers.ContentType);
    }

    [Fact]
    public async Task A_prefix_keeps_the_store_in_its_part_of_the_bucket()
    {
        await _client!.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "other/x.txt", ContentBody = "x" }, Ct);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "img/dir/", ContentBody = "" }, Ct);
        var prefixed = new S3FileStore(_client, _bucket, "img/") { ListPageSize = 2 };
        await prefixed.PutAsync("a/b.png", new byte[] { 1, 2 }, Ct);
        Assert.True(await _client.GetObjectMetadataAsync(_bucket, "img/a/b.png", Ct) is not null);
        var listed = new List<string>();
        await foreach (var e in prefixed.ListAsync(null, Ct)) listed.Add(e.Path);
        // the folder marker img/dir/ is no store path
        Assert.Equal(["a/b.png"], listed);
        Assert.False(await prefixed.ExistsAsync("other/x.txt", Ct));
        Assert.True(await Store.ExistsAsync("other/x.txt", Ct));
    }

    [Fact]
    public async Task A_missing_bucket_is_an_error_not_a_missing_file()
    {
        var store = new S3FileStore(_client!, "bkcs-no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]);
        await Assert.ThrowsAsync<AmazonS3Exception>(() => store.OpenAsync("a.png", Ct));
    }
}

/// <summary>S3 store checks that need no server: path rules before any request, options, registration.</summary>
public sealed class S3FileStoreUnitTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("bkcs-s3cfg-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(FileStoreContract.InvalidPaths), MemberType = typeof(FileStoreContract))]
    public async Task Invalid_paths_are_refused_without_a_request(string path)
    {
        var client = DispatchProxy.Create<IAmazonS3, CountingProxy>();
        var store = new S3FileStore(client, "bucket");
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.PutAsync(path, new byte[] { 1 }, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.PutAsync(path, new MemoryStream([1]), Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.OpenAsync(path, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.DeleteAsync(path, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ExistsAsync(path, Ct));
        if (path.Length > 0) Assert.ThrowsAny<ArgumentException>(() => store.ListAsync(path, Ct));
        Assert.Equal(0, ((CountingProxy)(object)client).Calls);
    }

    [Fact]
    public void Content_types_follow_the_extension()
    {
        Assert.Equal("image/png", S3FileStore.ContentType("a/b.png"));
        Assert.Equal("image/jpeg", S3FileStore.ContentType("a/b.JPG"));
        Assert.Equal("application/octet-stream", S3FileStore.ContentType("a/b"));
    }

    private BackendApplicationBuilder Builder(params string[] args) =>
        BackendApplicationBuilder.CreateBuilder(["-home", _home, "-log", "none", .. args]);

    [Fact]
    public void Api_images_s3_without_options_uses_the_aws_defaults()
    {
        var builder = Builder("-api-images-s3", "my-images", "-aws-region", "eu-west-1", "-aws-key", "K", "-aws-secret", "S").AddS3();
        using var sp = builder.Services.BuildServiceProvider();
        var store = Assert.IsType<S3FileStore>(sp.GetRequiredKeyedService<IFileStore>(S3BuilderExtensions.ImagesKey));
        Assert.Same(store, sp.GetRequiredService<IFileStore>());
        Assert.Equal("my-images", store.Bucket);
        Assert.Equal("", store.Prefix);
        Assert.Equal(S3FileStore.DefaultPartSize, store.PartSize);
        Assert.Null(sp.GetKeyedService<IFileStore>(S3BuilderExtensions.FilesKey));
    }

    [Fact]
    public void Api_files_s3_registers_the_files_store_only()
    {
        var builder = Builder("-api-files-s3", "my-files", "-api-images-s3-options", """{"endpoint":"http://127.0.0.1:1","prefix":"f","key":"a","secret":"b"}""").AddS3();
        using var sp = builder.Services.BuildServiceProvider();
        var store = Assert.IsType<S3FileStore>(sp.GetRequiredKeyedService<IFileStore>(S3BuilderExtensions.FilesKey));
        Assert.Equal("my-files", store.Bucket);
        Assert.Equal("f/", store.Prefix);
        Assert.Null(sp.GetService<IFileStore>());
        Assert.Null(sp.GetKeyedService<IFileStore>(S3BuilderExtensions.ImagesKey));
    }

    [Fact]
    public void Without_a_bucket_nothing_is_registered_and_the_parameters_are_there_once()
    {
        var builder = Builder().AddDynamoDb().AddS3();
        Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(IFileStore));
        Assert.Single(builder.Parameters.All, p => p.Name == "aws-key");
        Assert.True(builder.Parameters.TryGet("api-images-s3-options", out _));
        Assert.True(Builder().AddS3().AddDynamoDb().Parameters.TryGet("aws-region", out _));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("""{"bucket":"x"}""", "unknown option \"bucket\"")]
    [InlineData("""{"endpoint":"ftp://x"}""", "\"endpoint\" must be an http or https URL")]
    [InlineData("""{"partSize":1024}""", "\"partSize\" must be an integer")]
    [InlineData("""{"listPageSize":5000}""", "\"listPageSize\" must be an integer from 1 to 1000")]
    [InlineData("""{"prefix":"../x"}""", "\"prefix\" must be a relative path")]
    [InlineData("""{"key":"only-a-key"}""", "an S3 key needs its secret")]
    public void Bad_options_are_a_config_error_naming_the_parameter(string json, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => Builder("-api-images-s3", "b", "-api-images-s3-options", json).AddS3());
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Contains("api-images-s3-options", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>An <see cref="IAmazonS3"/> that counts calls and fails every one.</summary>
    public class CountingProxy : DispatchProxy
    {
        public int Calls { get; private set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Calls++;
            throw new InvalidOperationException("no request expected: " + targetMethod?.Name);
        }
    }
}
