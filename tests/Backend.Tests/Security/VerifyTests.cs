using Backend.Security;

namespace Backend.Tests.Security;

public sealed class VerifyTests
{
    private const long Expires = 4102444800000;

    private static readonly SigningRequest Request =
        SigningRequest.From("GET", "localhost", "/connection/select", "type=like&id=1", null, null, "");

    private static SignatureHeader Signed(int version = 1, string secret = "test1", SigningRequest? request = null)
    {
        var value = RequestSignature.CreateHeader(version, "test1@test.com", secret, request ?? Request, Expires);
        Assert.True(SignatureHeader.TryParse(value, out var header));
        return header;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Accepts_its_own_header(int version)
    {
        Assert.True(RequestSignature.Verify(Signed(version), "test1", Request));
    }

    [Fact]
    public void Rejects_a_tampered_signature()
    {
        var header = Signed();
        var tampered = header with { Signature = (header.Signature[0] == 'A' ? "B" : "A") + header.Signature[1..] };
        Assert.False(RequestSignature.Verify(tampered, "test1", Request));
    }

    [Fact]
    public void Rejects_a_signature_without_its_padding()
    {
        var header = Signed();
        Assert.False(RequestSignature.Verify(header with { Signature = header.Signature.TrimEnd('=') }, "test1", Request));
    }

    [Fact]
    public void Rejects_a_wrong_secret()
    {
        Assert.False(RequestSignature.Verify(Signed(), "test2", Request));
    }

    [Fact]
    public void Rejects_another_path()
    {
        Assert.False(RequestSignature.Verify(Signed(), "test1", Request with { Path = "/connection/del" }));
    }

    [Fact]
    public void Rejects_another_query()
    {
        Assert.False(RequestSignature.Verify(Signed(), "test1", Request with { Query = "type=like&id=2" }));
    }

    [Fact]
    public void Accepts_the_same_query_in_another_order()
    {
        Assert.True(RequestSignature.Verify(Signed(), "test1", Request with { Query = "id=1&type=like&" }));
    }

    [Fact]
    public void Rejects_another_host_method_content_type_checksum_or_expiry()
    {
        var header = Signed();
        Assert.False(RequestSignature.Verify(header, "test1", Request with { Host = "example.com" }));
        Assert.False(RequestSignature.Verify(header, "test1", Request with { Method = "POST" }));
        Assert.False(RequestSignature.Verify(header, "test1", Request with { ContentType = "application/json" }));
        Assert.False(RequestSignature.Verify(header, "test1", Request with { Checksum = "2jmj7l5rSw0yVb/vlWAYkK/YBwk=" }));
        Assert.False(RequestSignature.Verify(header with { Expires = Expires + 1 }, "test1", Request));
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(3, 1)]
    [InlineData(1, 2)]
    [InlineData(1, 0)]
    [InlineData(1, 4)]
    public void Rejects_a_wrong_version(int signedAs, int claimed)
    {
        Assert.False(RequestSignature.Verify(Signed(signedAs) with { Version = claimed }, "test1", Request));
    }

    [Fact]
    public void Rejects_a_session_signature_sent_as_a_header()
    {
        var value = RequestSignature.CreateSessionHeader("test1@test.com", "test1", "localhost", Expires);
        Assert.True(SignatureHeader.TryParse(value, out var header));
        Assert.False(RequestSignature.Verify(header, "test1", Request));
    }

    [Fact]
    public void Handles_requests_longer_than_the_stack_buffers()
    {
        var query = string.Join('&', Enumerable.Range(0, 400).Select(i => "p" + i + "=" + new string('x', 20)));
        var request = Request with { Query = query, Path = "/" + new string('p', 2000) };
        var secret = new string('\u00e9', 300);
        Assert.True(RequestSignature.Verify(Signed(3, secret, request), secret, request));
        Assert.False(RequestSignature.Verify(Signed(3, secret, request), secret, request with { Path = "/" }));
    }

    [Fact]
    public void CreateHeader_rejects_separators_and_session_or_unknown_versions()
    {
        Assert.Throws<ArgumentException>(() => RequestSignature.CreateHeader(1, "a|b", "s", Request, Expires));
        Assert.Throws<ArgumentException>(() => RequestSignature.CreateHeader(1, "", "s", Request, Expires));
        Assert.Throws<ArgumentException>(() => RequestSignature.CreateHeader(1, "a", "s", Request, Expires, "x|y"));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestSignature.CreateHeader(2, "a", "s", Request, Expires));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestSignature.Compute(4, "s", "text"));
    }
}
