using Backend.Geo;
using Backend.Tests.Geo;

namespace Backend.Tests.Server;

/// <summary>A server started with <c>-min-distance 1 -max-distance 20</c> (and exact distances).</summary>
public sealed class SmallCellServerFixture : ServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-min-distance", "1", "-max-distance", "20", "-api-location-cloak", "0"];
}

/// <summary>The location parameters change the geohash length, the 305 message and the largest radius.</summary>
public sealed class LocationConfigTests(SmallCellServerFixture fixture) : IClassFixture<SmallCellServerFixture>
{
    private static string Num(double v) => LocationApiTests.Num(v);

    [Fact]
    public async Task A_min_distance_of_1_gives_five_character_cells_a_305_that_names_it_and_an_enforced_max_distance()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.Get("/location/put", ("latitude", Num(lat)), ("longitude", Num(lon)));
        ApiAssert.Ok(r);
        Assert.Equal(Geohash.Encode(lat, lon, 5), r.Str("geohash"));

        var (nlat, nlon) = GeoTestPoints.Destination(lat, lon, 180, 0.5);
        ApiAssert.Error(await client.Get("/location/put", ("latitude", Num(nlat)), ("longitude", Num(nlon))), 305, "ignored, min distance: 1");
        var (flat, flon) = GeoTestPoints.Destination(lat, lon, 180, 1.5);
        ApiAssert.Ok(await client.Get("/location/put", ("latitude", Num(flat)), ("longitude", Num(flon))));

        var other = await fixture.AddAccount();
        using var search = fixture.Client(other);
        ApiAssert.Error(await search.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "21")), 400);
        var found = await search.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "20"));
        ApiAssert.Ok(found);
        var row = Assert.Single(found.Data)!;
        Assert.Equal(a.Id, row["id"]!.ToString());
        Assert.Equal(1.5, row["distance"]!.GetValue<double>(), 2);
        // The default radius is -min-distance: 1 km does not reach 1.5 km.
        Assert.Empty((await search.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)))).Data);
    }
}
