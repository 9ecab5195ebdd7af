using System.Net;
using Backend.Configuration;
using Backend.Push;
using Microsoft.AspNetCore.Http;

namespace Backend.Tests.Push;

public sealed class PushHttpTests
{
    [Fact]
    public async Task A_server_whose_chain_ends_at_the_push_ca_file_is_trusted_over_http2_and_one_without_it_is_not()
    {
        using var certs = PushTestCertificates.Create();
        await using var server = await PushTestServer.StartAsync(certs, ctx => ctx.Response.WriteAsync(ctx.Request.Protocol));

        using (var client = PushHttp.CreateClient(PushHttp.CreateHandler(new PushOptions { CaFile = certs.CaFile }), new PushOptions()))
        {
            var answer = await client.GetStringAsync(server.BaseUrl, TestContext.Current.CancellationToken);
            Assert.Equal("HTTP/2", answer);
        }

        using (var client = PushHttp.CreateClient(PushHttp.CreateHandler(new PushOptions()), new PushOptions()))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(server.BaseUrl, TestContext.Current.CancellationToken));
        }

        // Another CA's file does not make the server trusted.
        using var other = PushTestCertificates.Create();
        using (var client = PushHttp.CreateClient(PushHttp.CreateHandler(new PushOptions { CaFile = other.CaFile }), new PushOptions()))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(server.BaseUrl, TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public void A_ca_file_that_is_missing_or_holds_no_certificate_is_a_config_error_naming_the_parameter()
    {
        using var certs = PushTestCertificates.Create();
        var missing = Assert.Throws<ConfigException>(() => PushHttp.CreateHandler(new PushOptions { CaFile = Path.Combine(certs.Directory, "none.pem") }));
        Assert.Contains("-push-ca-file", missing.Message, StringComparison.Ordinal);
        var empty = Path.Combine(certs.Directory, "empty.pem");
        File.WriteAllText(empty, "not a certificate");
        var bad = Assert.Throws<ConfigException>(() => PushHttp.CreateHandler(new PushOptions { CaFile = empty }));
        Assert.Contains("-push-ca-file", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retry_after_is_read_as_seconds_or_a_date_and_never_negative()
    {
        var now = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "120");
        Assert.Equal(TimeSpan.FromSeconds(120), PushHttp.RetryAfter(seconds.Headers, now));
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", now.AddMinutes(2).ToString("R"));
        Assert.Equal(TimeSpan.FromMinutes(2), PushHttp.RetryAfter(date.Headers, now));
        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", now.AddMinutes(-2).ToString("R"));
        Assert.Equal(TimeSpan.Zero, PushHttp.RetryAfter(past.Headers, now));
        using var none = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        Assert.Null(PushHttp.RetryAfter(none.Headers, now));
    }

    [Theory]
    [InlineData("abcdef", "apple", "abcdef")]
    [InlineData("apple://abcdef", "apple", "abcdef")]
    [InlineData("APN://abcdef", "apple", "abcdef")]
    [InlineData("ios://abcdef", "apple", "abcdef")]
    [InlineData("gcm://tok", "fcm", "tok")]
    [InlineData("android://tok", "fcm", "tok")]
    [InlineData("fcm://tok", "fcm", "tok")]
    [InlineData("web://sub", "webpush", "sub")]
    [InlineData("myapp://x", "myapp", "x")]
    public void A_device_id_is_service_and_token_with_apple_by_default(string id, string service, string token)
    {
        Assert.True(PushDevice.TryParse(id, out var device));
        Assert.Equal(service, device.Service);
        Assert.Equal(token, device.Token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("apple://")]
    [InlineData("://abc")]
    [InlineData("a b://abc")]
    [InlineData("a/b://abc")]
    public void A_malformed_device_id_is_refused(string id)
    {
        Assert.False(PushDevice.TryParse(id, out _));
        Assert.False(PushDevice.TryParse(new string('a', PushDevice.MaxLength + 1), out _));
    }
}
