using System.Text.Json.Nodes;
using Backend.Tests.Files;
using static Backend.Tests.Server.FileTestSupport;

namespace Backend.Tests.Server;

/// <summary>The files API with <c>-api-files-s3</c>: the server stores files in the bucket (s3rver from scripts/servers;
/// skipped without it, failing under CI=true), not in <c>-files-dir</c>.</summary>
public sealed class FileS3Tests
{
    [Fact]
    public async Task Files_round_trip_through_the_server_in_an_s3_bucket()
    {
        var options = S3Server.Options();
        using var s3 = S3Server.Client(options);
        var ct = TestContext.Current.CancellationToken;
        var bucket = S3Server.NewBucket();
        await s3.PutBucketAsync(bucket, ct);
        var home = BackendServer.CreateHome();
        try
        {
            var admin = await AdminServerFixture.MakeAdmin(home);
            await using var server = await BackendServer.StartAsync(["-api-files-s3", bucket, "-api-files-s3-options", options], home, ownsHome: false);
            using var client = server.Client(admin);
            var bytes = Bytes(70_000);
            var put = await PutMultipart(client, bytes, "file", "doc.pdf", ("prefix", "s3p"), ("name", "doc.pdf"));
            ApiAssert.Ok(put);
            ApiAssert.Ok(await client.PostJson("/file/put", new JsonObject { ["prefix"] = "s3p", ["name"] = "b.txt", ["data"] = Convert.ToBase64String(bytes[..100]) }));

            var meta = await s3.GetObjectMetadataAsync(bucket, "s3p/doc.pdf", ct);
            Assert.Equal(bytes.Length, meta.ContentLength);
            Assert.Empty(StoredFiles(server));

            var got = await Fetch(client, "s3p", "doc.pdf");
            Assert.Equal(200, got.Status);
            Assert.Equal("application/pdf", got.ContentType);
            Assert.Equal(bytes, got.Body);
            Assert.NotNull(got.ETag);
            Assert.Equal(304, (await Fetch(client, "s3p", "doc.pdf", ("If-None-Match", got.ETag!))).Status);
            Assert.Equal(bytes[..100], (await Fetch(client, "s3p", "b.txt")).Body);

            ApiAssert.Ok(await client.Get("/file/del", ("prefix", "s3p"), ("name", "doc.pdf")));
            Assert.Equal(404, (await Fetch(client, "s3p", "doc.pdf")).Status);
            ApiAssert.Error(await client.Get("/file/del", ("prefix", "s3p"), ("name", "doc.pdf")), 404);
            ApiAssert.Error(await client.GetRaw("/file/put", "prefix=s3p&name=..%2Fx&data=YQ"), 400);
        }
        finally
        {
            await S3Server.DeleteBucketAsync(s3, bucket);
            BackendServer.DeleteHome(home);
        }
    }
}
