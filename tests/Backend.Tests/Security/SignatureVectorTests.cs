using System.Text;
using Backend.Security;

namespace Backend.Tests.Security;

public sealed class SignatureVectorTests
{
    public static TheoryData<string> Ids() => SignatureVectors.SignedIds();

    [Fact]
    public void All_signed_vectors_are_loaded()
    {
        Assert.True(SignatureVectors.Signed.Count() >= 14);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void SortQuery_gives_sortedQuery(string id)
    {
        var v = SignatureVectors.Get(id);
        Assert.Equal(v.SortedQuery, RequestSignature.SortQuery(v.Query!));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void StringToSign_gives_stringToSign(string id)
    {
        var v = SignatureVectors.Get(id);
        Assert.Equal(v.StringToSign, RequestSignature.StringToSign(v.ToRequest(), v.Expires!.Value));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Compute_gives_signature(string id)
    {
        var v = SignatureVectors.Get(id);
        Assert.Equal(v.Signature, RequestSignature.Compute(v.Sigversion!.Value, v.Secret, v.StringToSign!));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void CreateHeader_gives_header(string id)
    {
        var v = SignatureVectors.Get(id);
        var header = RequestSignature.CreateHeader(v.Sigversion!.Value, v.Login, v.Secret, v.ToRequest(), v.Expires!.Value);
        Assert.Equal(v.Header, header);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Header_parses_and_formats_back(string id)
    {
        var v = SignatureVectors.Get(id);
        Assert.True(SignatureHeader.TryParse(v.Header, out var header));
        Assert.Equal(v.Sigversion, header.Version);
        Assert.Equal(v.Login, header.Login);
        Assert.Equal(v.Signature, header.Signature);
        Assert.Equal(v.Expires, header.Expires);
        Assert.Equal(v.Checksum, header.Checksum);
        Assert.Equal(v.Header, header.Format());
    }

    // Every vector must verify: those the 2014 server accepted, and the host-with-port and Latin-1
    // "quirk" ones, which the contract says we accept as second tries.
    [Theory]
    [MemberData(nameof(Ids))]
    public void Verify_accepts_the_header(string id)
    {
        var v = SignatureVectors.Get(id);
        Assert.True(SignatureHeader.TryParse(v.Header, out var header));
        var request = SigningRequest.From(v.Method!, v.Host!, v.Path!, v.IsForm ? "" : v.Query!, v.ContentType, v.IsForm ? v.Query : null, header.Checksum);
        Assert.True(RequestSignature.Verify(header, v.Secret, request));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Verify_accepts_the_header_with_a_port_in_the_Host_header(string id)
    {
        var v = SignatureVectors.Get(id);
        Assert.True(SignatureHeader.TryParse(v.Header, out var header));
        var request = v.ToRequest() with { Host = v.Host + ":8000" };
        Assert.True(RequestSignature.Verify(header, v.Secret, request));
    }

    [Fact]
    public void Json_vector_checksum_is_base64_sha1_of_the_body()
    {
        var v = SignatureVectors.Get("v1-post-json-checksum");
        Assert.Equal(v.Checksum, RequestSignature.BodyChecksum(Encoding.UTF8.GetBytes(v.Body!)));
    }

    [Fact]
    public void Form_vectors_sign_the_content_type_with_its_parameters()
    {
        var v = SignatureVectors.Get("v1-post-form");
        var request = SigningRequest.From("POST", "localhost", "/account/update", "", "application/x-www-form-urlencoded; charset=UTF-8", v.Query, "");
        Assert.Equal("application/x-www-form-urlencoded; charset=utf-8", request.ContentType);
        Assert.Equal(v.StringToSign, RequestSignature.StringToSign(request, v.Expires!.Value));
    }
}
