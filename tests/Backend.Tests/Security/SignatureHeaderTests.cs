using Backend.Security;

namespace Backend.Tests.Security;

public sealed class SignatureHeaderTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1|")]
    [InlineData("x|||||")]
    [InlineData("x||test1@test.com|sig|4102444800000||")]
    [InlineData("1||test1@test.com|sig|soon||")]
    [InlineData("1||test1@test.com|sig|-5||")]
    [InlineData("1||test1@test.com|sig|0||")]
    [InlineData("1||test1@test.com|sig||||")]
    [InlineData("1||test1@test.com|sig|4102444800000|")]
    [InlineData("1||test1@test.com|sig|4102444800000|||")]
    [InlineData("1|||sig|4102444800000||")]
    [InlineData("1||   |sig|4102444800000||")]
    [InlineData("1||test1@test.com||4102444800000||")]
    [InlineData("|||sig|4102444800000||")]
    [InlineData("1.5||test1@test.com|sig|4102444800000||")]
    [InlineData("1||test1@test.com|ISwjOy7Y+v1WHSaNincURsdoZeQ=")]
    public void TryParse_rejects_malformed_values(string? value)
    {
        Assert.False(SignatureHeader.TryParse(value, out var header));
        Assert.Null(header);
    }

    [Fact]
    public void TryParse_reads_every_field()
    {
        Assert.True(SignatureHeader.TryParse("3|app|test1@test.com|c2ln|4102444800000|/wWcsUzxeET9uDbs5TVu6tkDfoI=|", out var header));
        Assert.Equal(new SignatureHeader(3, "app", "test1@test.com", "c2ln", 4102444800000, "/wWcsUzxeET9uDbs5TVu6tkDfoI="), header);
    }

    [Fact]
    public void TryParse_trims_the_login_as_the_2014_server_did()
    {
        Assert.True(SignatureHeader.TryParse("1|| test1@test.com |c2ln|4102444800000||", out var header));
        Assert.Equal("test1@test.com", header.Login);
    }

    [Fact]
    public void TryParse_ignores_the_seventh_field()
    {
        Assert.True(SignatureHeader.TryParse("1||test1@test.com|c2ln|4102444800000||junk", out var header));
        Assert.Equal("1||test1@test.com|c2ln|4102444800000||", header.Format());
    }

    [Fact]
    public void Format_writes_seven_fields_with_the_last_empty()
    {
        var header = new SignatureHeader(1, "", "test1@test.com", "ISwjOy7Y+v1WHSaNincURsdoZeQ=", 4102444800000, "");
        Assert.Equal("1||test1@test.com|ISwjOy7Y+v1WHSaNincURsdoZeQ=|4102444800000||", header.Format());
    }
}
