using System.Text;
using System.Text.Json.Nodes;

namespace Backend.Tests.Server;

/// <summary>Every way an original client signs (signature.md): versions 1 and 3, in the header or the query
/// parameter, GET with a query, form POST (the body is the signed query), JSON POST (checksum of the body).</summary>
public sealed class SignatureFormTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    public static TheoryData<int, SignatureIn> Forms => new()
    {
        { 1, SignatureIn.Header },
        { 3, SignatureIn.Header },
        { 1, SignatureIn.Query },
        { 3, SignatureIn.Query },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Get_NoQuery_Returns200(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get", new SignOptions { Version = version, In = where });
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Get_WithQuery_Returns200(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        var b = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get", new SignOptions { Version = version, In = where }, ("id", $"{b.Id},{a.Id}"), ("z", "last"), ("_a", "first"));
        ApiAssert.Ok(r);
        Assert.Equal(2, r.Array.Count);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Get_UnsortedQueryWithEmptyItemsAndEncodedCharacters_Returns200(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var raw = "z=1&&b=%2B%20space%26amp&a=" + Uri.EscapeDataString("ünï/cödé=?") + "&A=2&";
        ApiAssert.Ok(await client.GetRaw("/account/get", raw, new SignOptions { Version = version, In = where }));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task FormPost_Returns200AndUpdates(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var alias = "form " + version + " " + where + " ü&=+";
        var r = await client.PostFormRaw("/account/update", BackendClient.Encode(("alias", alias), ("city", "Paris")), new SignOptions { Version = version, In = where });
        ApiAssert.Ok(r);
        Assert.Equal(alias, r.Str("alias"));
        Assert.Equal(alias, (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task FormPost_WithCharsetInContentType_Returns200()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.PostFormRaw("/account/update", "alias=charset", null, "application/x-www-form-urlencoded; charset=UTF-8");
        ApiAssert.Ok(r);
        Assert.Equal("charset", r.Str("alias"));
    }

    [Fact]
    public async Task FormPost_TamperedBody_Returns401AndUpdatesNothing()
    {
        var a = await fixture.AddAccount(("alias", "original"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostFormRaw("/account/update", "alias=evil", new SignOptions { SignedQuery = "alias=good" }), 401);
        Assert.Equal("original", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task FormPost_WithUrlQuery_SignatureCoversBody()
    {
        // The original signs the body of a form POST instead of the URL query.
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.PostFormRaw("/account/update", "alias=body", null, BackendClient.FormType, rawQuery: "x=1");
        ApiAssert.Ok(r);
        Assert.Equal("body", r.Str("alias"));
        ApiAssert.Error(await client.PostFormRaw("/account/update", "alias=evil", new SignOptions { SignedQuery = "alias=body" }, BackendClient.FormType, rawQuery: "alias=body"), 401);
    }

    [Fact]
    public async Task FormPost_UnsignedUrlQueryParameters_AreNotApplied()
    {
        var a = await fixture.AddAccount(("email", "mine@example.com"));
        using var client = fixture.Client(a);
        var r = await client.PostFormRaw("/account/update", "alias=body", null, BackendClient.FormType, rawQuery: "email=attacker%40example.com&city=injected");
        Assert.True(r.Status is 200 or 400 or 401, r.ToString());
        var get = await client.Get("/account/get");
        Assert.Equal("mine@example.com", get.Str("email"));
        Assert.Null(get.Object["city"]);
    }

    [Fact]
    public async Task FormPost_EmptyBody_Returns200()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.PostFormRaw("/account/get", ""));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task JsonPost_WithChecksum_Returns200AndUpdates(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var body = new JsonObject { ["alias"] = $"json {version} {where} \"quoted\" é", ["zipcode"] = "75001" };
        var r = await client.PostJson("/account/update", body, new SignOptions { Version = version, In = where });
        ApiAssert.Ok(r);
        Assert.Equal(body["alias"]!.ToString(), r.Str("alias"));
        Assert.Equal("75001", (await client.Get("/account/get")).Str("zipcode"));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task JsonPost_ChecksumMismatch_Returns400AndUpdatesNothing(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount(("alias", "original"));
        using var client = fixture.Client(a);
        var signedFor = RequestSignatureChecksum("""{"alias":"good"}""");
        var r = await client.PostJson("/account/update", """{"alias":"evil"}""", new SignOptions { Version = version, In = where, Checksum = signedFor });
        ApiAssert.Error(r, 400);
        Assert.Equal("original", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task JsonPost_GarbageChecksum_Returns400()
    {
        var a = await fixture.AddAccount(("alias", "original"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostJson("/account/update", """{"alias":"evil"}""", new SignOptions { Checksum = "not-a-checksum" }), 400);
        Assert.Equal("original", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task JsonPost_ChecksumInHeaderDiffersFromSigned_Returns401()
    {
        // The header's checksum field is part of the signed string; changing it after signing breaks the HMAC.
        var a = await fixture.AddAccount(("alias", "original"));
        using var client = fixture.Client(a);
        const string body = """{"alias":"evil"}""";
        var uri = client.Url("/account/update");
        var sig = client.Sign(HttpMethod.Post, uri, Encoding.UTF8.GetBytes("""{"alias":"good"}"""), BackendClient.JsonType, new SignOptions())!;
        var parts = sig.Split('|');
        parts[5] = RequestSignatureChecksum(body);
        var r = await client.PostJson("/account/update", body, new SignOptions { Raw = string.Join('|', parts) });
        ApiAssert.Error(r, 401);
        Assert.Equal("original", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task JsonPost_InvalidJson_Returns400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostJson("/account/update", """{"alias": """), 400);
        ApiAssert.Error(await client.PostJson("/account/update", "not json at all"), 400);
    }

    [Fact]
    public async Task JsonPost_NumbersBooleansAndNulls_AreAccepted()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.PostJson("/account/update", """{"zipcode":75001,"gender":true,"city":null,"alias":"typed"}""");
        ApiAssert.Ok(r);
        Assert.Equal("75001", r.Str("zipcode"));
        Assert.Equal("typed", r.Str("alias"));
    }

    [Fact]
    public async Task QuerySignature_NotUrlEncoded_IsRejectedNotCrashing()
    {
        // '+' in base64 decodes to a space when the client forgets to encode the parameter.
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var uri = client.Url("/account/get");
        var sig = client.Sign(HttpMethod.Get, uri, null, null, new SignOptions())!;
        var r = await client.GetRaw("/account/get", "bk-signature=" + sig.Replace("+", "%20", StringComparison.Ordinal).Replace("|", "%7C", StringComparison.Ordinal), new SignOptions { In = SignatureIn.None });
        Assert.True(r.Status is 200 or 401, r.ToString());
        if (sig.Contains('+', StringComparison.Ordinal)) ApiAssert.Error(r, 401);
    }

    [Fact]
    public async Task HeaderWinsOverQueryParameter()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var uri = client.Url("/account/get");
        var good = client.Sign(HttpMethod.Get, uri, null, null, new SignOptions())!;
        // a broken query signature next to a good header: the header is the one checked
        using var request = new HttpRequestMessage(HttpMethod.Get, client.Url("/account/get", "bk-signature=" + Uri.EscapeDataString("1||x|y|4102444800000||")));
        request.Headers.TryAddWithoutValidation("bk-signature", good);
        ApiAssert.Ok(await client.SendRaw(request));
    }

    private static string RequestSignatureChecksum(string body) => Backend.Security.RequestSignature.BodyChecksum(Encoding.UTF8.GetBytes(body));
}
