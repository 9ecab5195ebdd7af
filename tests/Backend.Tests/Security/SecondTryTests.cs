using Backend.Security;

namespace Backend.Tests.Security;

/// <summary>
/// The two forms the old browser client produces and the 2014 server refused, which we accept as second
/// tries (compat-notes.md). Expected values were computed independently (Python hmac/hashlib).
/// </summary>
public sealed class SecondTryTests
{
    private const long Expires = 4102444800000;

    private static readonly SigningRequest Get =
        SigningRequest.From("GET", "localhost", "/account/get", "", null, null, "");

    [Fact]
    public void Host_with_port_string_keeps_the_port()
    {
        var request = Get with { Host = "127.0.0.1:8000" };
        Assert.Equal("GET\n127.0.0.1:8000\n/account/get\n\n4102444800000\n\n\n", RequestSignature.StringToSign(request, Expires, keepPort: true));
        Assert.Equal("GET\n127.0.0.1\n/account/get\n\n4102444800000\n\n\n", RequestSignature.StringToSign(request, Expires));
    }

    [Fact]
    public void Host_with_port_signature_verifies_when_the_Host_header_has_that_port()
    {
        var request = Get with { Host = "127.0.0.1:8000" };
        var signature = RequestSignature.Compute(1, "test1", RequestSignature.StringToSign(request, Expires, keepPort: true));
        Assert.Equal("wmJax8964Gx7oqcT14NJlRl2Dp4=", signature);

        var header = new SignatureHeader(1, "", "test1@test.com", signature, Expires, "");
        Assert.True(RequestSignature.Verify(header, "test1", request));
        Assert.False(RequestSignature.Verify(header, "test1", request with { Host = "127.0.0.1:8001" }));
        Assert.False(RequestSignature.Verify(header, "test1", request with { Host = "127.0.0.1" }));
    }

    [Fact]
    public void Ipv6_host_keeps_its_brackets_when_the_port_is_dropped()
    {
        Assert.Equal("GET\n[::1]\n/account/get\n\n4102444800000\n\n\n", RequestSignature.StringToSign(Get with { Host = "[::1]:8000" }, Expires));
    }

    [Fact]
    public void Latin1_key_is_the_low_byte_of_each_character()
    {
        var text = RequestSignature.StringToSign(Get, Expires);
        Assert.Equal("oDiuIB9mIB0pIntoNMVo8xfEabY=", RequestSignature.Compute(1, "p\u00e4ssw\u00f6rd", text, latin1Key: true));
        Assert.Equal("bb2ohD03JG4O/jnT436lemHBYJo=", RequestSignature.Compute(1, "p\u0100ss", text, latin1Key: true));
        Assert.Equal("eQ+pnbJpTMXbNirscoAWRdsOb4U=", RequestSignature.Compute(1, "p\u00e4ssw\u00f6rd", text));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:8000")]
    public void Latin1_keyed_signature_verifies(string host)
    {
        var header = new SignatureHeader(1, "", "test1@test.com", "oDiuIB9mIB0pIntoNMVo8xfEabY=", Expires, "");
        Assert.True(RequestSignature.Verify(header, "p\u00e4ssw\u00f6rd", Get with { Host = host }));
        Assert.False(RequestSignature.Verify(header, "passwort", Get with { Host = host }));
    }

    [Fact]
    public void Latin1_and_port_together_verify()
    {
        var request = Get with { Host = "backend.test:8000" };
        var text = RequestSignature.StringToSign(request, Expires, keepPort: true);
        var signature = RequestSignature.Compute(3, "p\u00e4ss", text, latin1Key: true);
        Assert.True(RequestSignature.Verify(new SignatureHeader(3, "", "u", signature, Expires, ""), "p\u00e4ss", request));
    }
}
