using System.Text;

namespace Backend.Tests.Fuzz;

/// <summary>The fuzz checks can fail: each kind of bad answer is caught, and the answers the server may give pass.</summary>
public sealed class FuzzCheckTests
{
    private static readonly FuzzCase Case = new() { Method = "GET", Path = "/account/get" };
    private static readonly FuzzWire Plain = new([], WireMode.Normal, false, false);
    private static readonly FuzzWire Broken = new([], WireMode.Normal, false, true);

    private static RawResponse Answer(int status, string body, string? type = "application/json; charset=utf-8")
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (type is not null) headers["content-type"] = type;
        return new RawResponse(status, headers, Encoding.UTF8.GetBytes(body));
    }

    private static string? Failure(RawResponse? r, FuzzWire? wire = null, string pool = "sqlite", FuzzCase? c = null) =>
        FuzzRunner.Check(c ?? Case, wire ?? Plain, r, pool).Failure;

    [Fact]
    public void Good_answers_pass()
    {
        Assert.Null(Failure(Answer(200, "{\"id\":\"x\",\"alias\":\"a\"}")));
        Assert.Null(Failure(Answer(400, "{\"status\":400,\"message\":\"id is required\"}")));
        Assert.Null(Failure(Answer(305, "{\"status\":305,\"message\":\"ignored, min distance: 5\"}")));
        Assert.Null(Failure(Answer(200, "", null)));
        Assert.Null(Failure(Answer(200, "\u0089PNG", "image/png")));
        // Kestrel's own refusal of broken HTTP has no body.
        Assert.Null(Failure(Answer(400, "", null), Broken));
        Assert.Null(Failure(null, Broken));
        // Not even a 501 of a search on Redis is allowed (it is a 400).
        Assert.NotNull(Failure(Answer(501, "{\"status\":501,\"message\":\"search is not supported by the redis driver\"}"), pool: "redis", c: Case with { Path = "/data/search/bk_account" }));
    }

    [Theory]
    [InlineData(500, "{\"status\":500,\"message\":\"Internal error\"}", "application/json")]
    [InlineData(503, "{\"status\":503,\"message\":\"Database unavailable\"}", "application/json")]
    [InlineData(400, "{\"status\":400,\"message\":\"x\"}   at Backend.Data.Db.Get()", "application/json")]
    [InlineData(400, "{\"status\":400,\"message\":\"System.InvalidOperationException: boom\"}", "application/json")]
    [InlineData(200, "{\"path\":\"/work/wt/src/Backend/Http/RequestBody.cs:line 73\"}", "application/json")]
    [InlineData(400, "{\"status\":400}", "application/json")]
    [InlineData(400, "{\"status\":400,\"message\":\"\"}", "application/json")]
    [InlineData(400, "{\"status\":404,\"message\":\"x\"}", "application/json")]
    [InlineData(400, "{\"status\":400,\"message\":\"x\",\"stack\":\"y\"}", "application/json")]
    [InlineData(400, "[400]", "application/json")]
    [InlineData(400, "Bad request", "text/plain")]
    [InlineData(404, "", null)]
    [InlineData(200, "{\"id\":1,\"secret\":\"s\"}", "application/json")]
    [InlineData(200, "{\"data\":[{\"SECRET\":\"s\"}]}", "application/json")]
    [InlineData(200, "{not json", "application/json")]
    public void Bad_answers_fail(int status, string body, string? type) =>
        Assert.NotNull(Failure(Answer(status, body, type)));

    [Fact]
    public void A_501_is_allowed_only_for_a_search_on_redis_and_no_answer_only_for_broken_http()
    {
        var search = Case with { Path = "/data/search/bk_account" };
        var notSupported = Answer(501, "{\"status\":501,\"message\":\"search is not supported by the redis driver\"}");
        Assert.NotNull(Failure(notSupported, pool: "pgsql", c: search));
        Assert.NotNull(Failure(notSupported, pool: "redis"));
        Assert.NotNull(Failure(null));
        Assert.NotNull(Failure(Answer(400, "", null)));
    }
}
