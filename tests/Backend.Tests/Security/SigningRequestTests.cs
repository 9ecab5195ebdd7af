using Backend.Security;

namespace Backend.Tests.Security;

public sealed class SigningRequestTests
{
    private const string Form = "application/x-www-form-urlencoded";

    [Fact]
    public void Form_body_replaces_the_url_query()
    {
        var request = SigningRequest.From("POST", "localhost", "/account/update", "x=1", Form, "name=John", "");
        Assert.Equal("name=John", request.Query);
    }

    [Fact]
    public void Form_is_recognised_by_media_type_whatever_its_case_and_parameters()
    {
        var request = SigningRequest.From("POST", "localhost", "/a", "x=1", "Application/X-WWW-Form-UrlEncoded ; Charset=UTF-8", "b=2", "");
        Assert.Equal("b=2", request.Query);
        Assert.Equal("application/x-www-form-urlencoded ; charset=utf-8", request.ContentType);
    }

    [Fact]
    public void Url_query_is_kept_when_there_is_no_form_body()
    {
        Assert.Equal("x=1", SigningRequest.From("POST", "localhost", "/a", "x=1", Form, null, "").Query);
        Assert.Equal("x=1", SigningRequest.From("POST", "localhost", "/a", "x=1", "application/json", "b=2", "").Query);
    }

    [Fact]
    public void Json_post_signs_its_checksum_and_no_query()
    {
        var request = SigningRequest.From("POST", "localhost", "/account/update", "", "application/json", null, "/wWcsUzxeET9uDbs5TVu6tkDfoI=");
        Assert.Equal(new SigningRequest("POST", "localhost", "/account/update", "", "application/json", "/wWcsUzxeET9uDbs5TVu6tkDfoI="), request);
    }

    [Fact]
    public void Get_without_content_type_signs_an_empty_type()
    {
        var request = SigningRequest.From("GET", "LocalHost:8000", "/account/get", "?id=1", null, null, null!);
        Assert.Equal(new SigningRequest("GET", "LocalHost:8000", "/account/get", "id=1", "", ""), request);
        Assert.Equal("GET\nlocalhost\n/account/get\nid=1\n5\n\n\n", RequestSignature.StringToSign(request, 5));
    }

    [Fact]
    public void Empty_path_is_the_root()
    {
        Assert.Equal("/", SigningRequest.From("GET", "localhost", "", "", null, null, "").Path);
    }
}
