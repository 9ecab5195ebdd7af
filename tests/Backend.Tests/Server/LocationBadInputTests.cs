using System.Text;
using Backend.Tests.Geo;

namespace Backend.Tests.Server;

/// <summary>Bad input on the location endpoints: 4xx in the <c>{status,message}</c> shape, nothing written; and the
/// start-up check of <c>-min-distance</c> / <c>-max-distance</c>.</summary>
public sealed class LocationBadInputTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string Num(double v) => LocationApiTests.Num(v);

    [Theory]
    [InlineData("200", "10")]
    [InlineData("-90.5", "10")]
    [InlineData("10", "180.01")]
    [InlineData("10", "-200")]
    [InlineData("abc", "10")]
    [InlineData("10", "1e999")]
    [InlineData("NaN", "10")]
    [InlineData("10", "")]
    [InlineData("", "10")]
    [InlineData("", "")]
    public async Task Put_with_a_bad_or_missing_coordinate_is_400_and_writes_nothing(string latitude, string longitude)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var q = new List<(string, string)>();
        if (latitude.Length > 0) q.Add(("latitude", latitude));
        if (longitude.Length > 0) q.Add(("longitude", longitude));
        ApiAssert.Error(await client.Get("/location/put", [.. q]), 400);
        var own = (await client.Get("/account/get")).Object;
        foreach (var c in new[] { "latitude", "longitude", "geohash", "ltime" }) Assert.Null(own[c]);
    }

    [Fact]
    public async Task Put_with_a_bad_coordinate_after_a_good_one_keeps_the_stored_location()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/location/put", ("latitude", Num(lat)), ("longitude", Num(lon))));
        ApiAssert.Error(await client.Get("/location/put", ("latitude", "200"), ("longitude", Num(lon))), 400);
        var own = (await client.Get("/account/get")).Object;
        Assert.Equal(lat, own["latitude"]!.GetValue<double>(), 9);
        var other = await fixture.AddAccount();
        using var search = fixture.Client(other);
        var found = await search.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "1"));
        Assert.Equal(a.Id, Assert.Single(found.Data)!["id"]!.ToString());
    }

    [Theory]
    [InlineData("distance", "51")]       // over -max-distance (50)
    [InlineData("distance", "0")]
    [InlineData("distance", "-1")]
    [InlineData("distance", "far")]
    [InlineData("latitude", "200")]
    [InlineData("longitude", "-181")]
    [InlineData("_count", "-1")]
    [InlineData("_count", "1001")]
    [InlineData("_count", "x")]
    [InlineData("_details", "maybe")]
    [InlineData("_start", "not a token!")]
    [InlineData("_token", "eyJhIjoxfQ")]          // base64url of {"a":1}: not ours
    [InlineData("_start", "WyJ4IiwiaWQiXQ")]     // ["x","id"]: distance not a number
    [InlineData("_start", "WzEuNV0")]            // [1.5]: too short
    public async Task Get_with_a_bad_parameter_is_400(string name, string value)
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var q = new Dictionary<string, string> { ["latitude"] = Num(lat), ["longitude"] = Num(lon), [name] = value };
        ApiAssert.Error(await client.Get("/location/get", [.. q.Select(kv => (kv.Key, kv.Value))]), 400);
    }

    [Fact]
    public void The_get_token_fixtures_are_what_they_claim()
    {
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars("eyJhIjoxfQ")));
        Assert.Equal("[\"x\",\"id\"]", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars("WyJ4IiwiaWQiXQ")));
        Assert.Equal("[1.5]", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars("WzEuNV0")));
    }

    [Fact]
    public async Task Get_with_only_one_coordinate_is_400()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/location/get", ("latitude", "10")), 400, "longitude is required");
        ApiAssert.Error(await client.Get("/location/get", ("longitude", "10")), 400, "latitude is required");
    }

    [Fact]
    public async Task Get_without_coordinates_is_400_even_with_a_stored_location()
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Error(await client.Get("/location/get"), 400, "latitude/longitude are required");
        // compat-notes: no fallback to the caller's stored location.
        ApiAssert.Ok(await client.Get("/location/put", ("latitude", "10"), ("longitude", "10")));
        ApiAssert.Error(await client.Get("/location/get"), 400, "latitude/longitude are required");
    }

    [Fact]
    public async Task An_unsigned_request_is_400()
    {
        using var client = fixture.Client();
        ApiAssert.Error(await client.Get("/location/put", ("latitude", "1"), ("longitude", "1")), 400);
        ApiAssert.Error(await client.Get("/location/get", ("latitude", "1"), ("longitude", "1")), 400);
    }

    [Theory]
    [InlineData("-min-distance", "0")]
    [InlineData("-max-distance", "0")]
    public async Task Start_up_with_a_zero_distance_stops_with_a_clear_error(string name, string value)
    {
        var home = BackendServer.CreateHome();
        try
        {
            var (code, _, stderr) = await BackendServer.RunCommandAsync(
                ["run", "-home", home, "-api-port", "65001", "-api-bind", "127.0.0.1", name, value, .. BackendServer.PoolArgs]);
            Assert.Equal(2, code);
            Assert.Contains($"invalid value for {name}", stderr, StringComparison.Ordinal);
            Assert.Contains("greater than 0", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            BackendServer.DeleteHome(home);
        }
    }
}
