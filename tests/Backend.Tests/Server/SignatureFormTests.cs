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
    public async Task A_signed_GET_without_a_query_is_200(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/account/get", new SignOptions { Version = version, In = where });
        ApiAssert.Ok(r);
        Assert.Equal(a.Id, r.Str("id"));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task A_signed_GET_with_a_query_is_200(int version, SignatureIn where)
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
    public async Task A_signed_GET_with_an_unsorted_query_with_empty_items_and_encoded_characters_is_200(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var raw = "z=1&&b=%2B%20space%26amp&a=" + Uri.EscapeDataString("ünï/cödé=?") + "&A=2&";
        ApiAssert.Ok(await client.GetRaw("/account/get", raw, new SignOptions { Version = version, In = where }));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task A_signed_form_POST_is_200_and_updates(int version, SignatureIn where)
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
    public async Task A_signed_form_POST_with_a_charset_in_the_content_type_is_200()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.PostFormRaw("/account/update", "alias=charset", null, "application/x-www-form-urlencoded; charset=UTF-8");
        ApiAssert.Ok(r);
        Assert.Equal("charset", r.Str("alias"));
    }

    [Fact]
    public async Task A_form_POST_with_a_tampered_body_is_401_and_updates_nothing()
    {
        var a = await fixture.AddAccount(("alias", "original"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostFormRaw("/account/update", "alias=evil", new SignOptions { SignedQuery = "alias=good" }), 401);
        Assert.Equal("original", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task The_signature_of_a_form_POST_with_a_URL_query_covers_the_body()
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
    public async Task Unsigned_URL_query_parameters_of_a_form_POST_are_not_applied()
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
    public async Task A_signed_form_POST_with_an_empty_body_is_200()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.PostFormRaw("/account/get", ""));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task A_JSON_POST_with_a_checksum_is_200_and_updates(int version, SignatureIn where)
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
    public async Task A_JSON_POST_with_a_checksum_mismatch_is_400_and_updates_nothing(int version, SignatureIn where)
    {
        var a = await fixture.AddAccount(("alias", "original"));
        using var client = fixture.Client(a);
        var signedFor = RequestSignatureChecksum("""{"alias":"good"}""");
        var r = await client.PostJson("/account/update", """{"alias":"evil"}""", new SignOptions { Version = version, In = where, Checksum = signedFor });
        ApiAssert.Error(r, 400);
        Assert.Equal("original", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task A_JSON_POST_with_a_garbage_checksum_is_400()
    {
        var a = await fixture.AddAccount(("alias", "original"));
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostJson("/account/update", """{"alias":"evil"}""", new SignOptions { Checksum = "not-a-checksum" }), 400);
        Assert.Equal("original", (await client.Get("/account/get")).Str("alias"));
    }

    [Fact]
    public async Task A_JSON_POST_whose_checksum_header_differs_from_the_signed_one_is_401()
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
    public async Task A_JSON_POST_with_invalid_JSON_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.PostJson("/account/update", """{"alias": """), 400);
        ApiAssert.Error(await client.PostJson("/account/update", "not json at all"), 400);
    }

    [Fact]
    public async Task A_JSON_POST_accepts_numbers_booleans_and_nulls()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.PostJson("/account/update", """{"zipcode":75001,"gender":true,"city":null,"alias":"typed"}""");
        ApiAssert.Ok(r);
        Assert.Equal("75001", r.Str("zipcode"));
        Assert.Equal("typed", r.Str("alias"));
    }

    [Fact]
    public async Task A_query_signature_not_URL_encoded_is_rejected_without_crashing()
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
    public async Task The_signature_header_wins_over_the_query_parameter()
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
