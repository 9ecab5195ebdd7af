using Backend.Security;

namespace Backend.Tests.Security;

public sealed class SessionSignatureTests
{
    private const long Expires = 4102444800000;

    [Theory]
    [InlineData("localhost", "localhost")]
    [InlineData("localhost:8000", "localhost")]
    [InlineData("Backend.Test:8000", "backend.test")]
    [InlineData("www.example.com", "example.com")]
    [InlineData("api.eu.example.com:443", "eu.example.com")]
    [InlineData("127.0.0.1:8000", "127.0.0.1")]
    [InlineData("[::1]:8000", "[::1]")]
    [InlineData("", "")]
    public void DomainName_drops_port_and_first_label_of_three_or_more(string host, string domain)
    {
        Assert.Equal(domain, RequestSignature.DomainName(host));
    }

    [Fact]
    public void Session_string_to_sign_matches_the_contract()
    {
        Assert.Equal("*\nbackend.test\n/\n*\n4102444800000\n*\n*\n", RequestSignature.SessionStringToSign("backend.test", Expires));
    }

    [Fact]
    public void Session_header_is_version_2_hmac_sha1()
    {
        var value = RequestSignature.CreateSessionHeader("test1@test.com", "test1", "backend.test", Expires);
        Assert.Equal("2||test1@test.com|d1Acre0xk2jc2TtduTCMIq0Rwgk=|4102444800000||", value);
    }

    [Fact]
    public void Session_round_trip()
    {
        var domain = RequestSignature.DomainName("www.backend.test:8000");
        var value = RequestSignature.CreateSessionHeader("test1@test.com", "test1", domain, Expires);
        Assert.True(SignatureHeader.TryParse(value, out var header));

        Assert.True(RequestSignature.VerifySession(header, "test1", RequestSignature.DomainName("api.backend.test")));
        Assert.False(RequestSignature.VerifySession(header, "test2", domain));
        Assert.False(RequestSignature.VerifySession(header, "test1", "other.test"));
        Assert.False(RequestSignature.VerifySession(header with { Expires = Expires + 1 }, "test1", domain));
        Assert.False(RequestSignature.VerifySession(header with { Version = 1 }, "test1", domain));
    }

    [Fact]
    public void Request_signature_is_not_a_session_signature()
    {
        var request = SigningRequest.From("GET", "localhost", "/account/get", "", null, null, "");
        Assert.True(SignatureHeader.TryParse(RequestSignature.CreateHeader(1, "test1@test.com", "test1", request, Expires), out var header));
        Assert.False(RequestSignature.VerifySession(header, "test1", "localhost"));
    }
}
