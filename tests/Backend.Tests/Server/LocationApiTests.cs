using System.Globalization;
using System.Text.Json.Nodes;
using Backend.Geo;
using Backend.Tests.Geo;

namespace Backend.Tests.Server;

/// <summary><c>/location/put</c> and <c>/location/get</c> end to end: a grid of accounts at known distances around a
/// random point (the database may hold other runs' rows), radius queries return exactly the accounts inside, closest
/// first, paging visits each once, the caller is never listed, small moves answer 305, a move removes the old entry,
/// and no reply carries another account's coordinates or private columns. The server runs without cloaking
/// (<c>-api-location-cloak 0</c>) so distances can be checked to 10 m; <see cref="LocationCloakTests"/> covers cloaking.</summary>
public sealed class LocationApiTests(ExactLocationFixture fixture) : IClassFixture<ExactLocationFixture>
{
    private static readonly string[] PublicRow = ["alias", "distance", "id"];

    private sealed record Placed(TestAccount Account, double Lat, double Lon, double Km);

    internal static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A new account located at the point.</summary>
    private async Task<TestAccount> Located(double lat, double lon, params (string Name, string Value)[] extra)
    {
        var a = await fixture.AddAccount(extra);
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/location/put", ("latitude", Num(lat)), ("longitude", Num(lon))));
        return a;
    }

    /// <summary>Accounts at the given distances from the centre, each on its own bearing.</summary>
    private async Task<List<Placed>> Grid(double lat, double lon, params double[] distances)
    {
        var list = new List<Placed>();
        for (var i = 0; i < distances.Length; i++)
        {
            var (plat, plon) = GeoTestPoints.Destination(lat, lon, i * 137.5 % 360, distances[i]);
            list.Add(new Placed(await Located(plat, plon, ("alias", $"grid{i}")), plat, plon, distances[i]));
        }
        return list;
    }

    private static async Task<List<JsonNode>> PageAll(BackendClient client, int count, params (string Name, string Value)[] query)
    {
        var rows = new List<JsonNode>();
        var token = "";
        for (var page = 0; page < 1000; page++)
        {
            (string, string)[] q = [.. query, ("_count", count.ToString(CultureInfo.InvariantCulture)), .. token.Length > 0 ? [("_start", token)] : Array.Empty<(string, string)>()];
            var r = await client.Get("/location/get", q);
            ApiAssert.Ok(r);
            Assert.True(r.Data.Count <= count, $"page larger than _count={count}: {r}");
            rows.AddRange(r.Data.Select(x => x!));
            token = r.NextToken;
            if (token.Length == 0) return rows;
        }
        Assert.Fail("paging never ended");
        return rows;
    }

    private static void AssertExactly(IEnumerable<Placed> expected, List<JsonNode> rows)
    {
        var want = expected.OrderBy(p => p.Km).ToList();
        Assert.Equal(want.Select(p => p.Account.Id), rows.Select(r => r["id"]!.ToString()));
        for (var i = 0; i < want.Count; i++)
        {
            Assert.Equal(PublicRow, Accounts.Keys(rows[i]));
            Assert.Equal(want[i].Account.Added!["alias"]!.ToString(), rows[i]["alias"]!.ToString());
            var km = rows[i]["distance"]!.GetValue<double>();
            Assert.True(Math.Abs(km - want[i].Km) <= 0.011, $"distance {km}, expected {want[i].Km}");
        }
    }

    [Fact]
    public async Task Get_on_a_grid_returns_exactly_the_accounts_inside_closest_first()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var grid = await Grid(lat, lon, 0.4, 1.1, 1.7, 2.3, 2.9, 3.6, 4.2, 4.8, 5.4, 6.5, 8.0, 12.0);
        var caller = await Located(lat, lon);
        using var client = fixture.Client(caller);

        // Default distance: -min-distance (5 km).
        var r = await client.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)));
        ApiAssert.Ok(r);
        Assert.Equal("", r.NextToken);
        AssertOursExactly(grid, 5, [.. r.Data.Select(x => x!)]);

        foreach (var km in new[] { 2.0, 4.5, 7.0, 10.0 })
        {
            var q = await client.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", Num(km)));
            ApiAssert.Ok(q);
            AssertOursExactly(grid, km, [.. q.Data.Select(x => x!)]);
        }
    }

    [Fact]
    public async Task Get_with_a_large_radius_crosses_cells_and_returns_exactly_the_accounts_inside()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var grid = await Grid(lat, lon, 3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 55);
        var caller = await fixture.AddAccount();
        using var client = fixture.Client(caller);
        foreach (var km in new[] { 25.0, 50.0 })
        {
            var rows = await PageAll(client, 1000, ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", Num(km)));
            AssertOursExactly(grid, km, rows);
        }
    }

    [Fact]
    public async Task Get_across_the_antimeridian_finds_both_sides()
    {
        var lat = Random.Shared.NextDouble() * 120 - 60;
        var lon = 179.98;
        var grid = new List<Placed>();
        foreach (var (bearing, km) in new[] { (90.0, 1.0), (270.0, 2.0), (80.0, 4.0), (260.0, 8.0), (100.0, 30.0), (280.0, 45.0), (90.0, 60.0) })
        {
            var (plat, plon) = GeoTestPoints.Destination(lat, lon, bearing, km);
            grid.Add(new Placed(await Located(plat, plon, ("alias", $"am{km}")), plat, plon, km));
        }
        Assert.Contains(grid, p => p.Lon < 0);
        var caller = await fixture.AddAccount();
        using var client = fixture.Client(caller);
        // The longitude is fixed, so other runs' accounts (the database outlives a run) can be near: only this test's
        // accounts are checked exactly, the others only for order and radius.
        foreach (var km in new[] { 5.0, 50.0 })
        {
            var rows = await PageAll(client, 2, ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", Num(km)));
            AssertOursExactly(grid, km, rows);
        }
    }

    /// <summary>Every row once, closest first, all inside the radius; of this test's accounts exactly those inside.</summary>
    private static void AssertOursExactly(List<Placed> grid, double km, List<JsonNode> rows)
    {
        Assert.Equal(rows.Count, rows.Select(r => r["id"]!.ToString()).Distinct().Count());
        var distances = rows.Select(r => r["distance"]!.GetValue<double>()).ToList();
        Assert.Equal(distances.Order(), distances);
        Assert.All(distances, d => Assert.True(d <= km + 0.011, $"distance {d} outside {km} km"));
        var ours = grid.Select(p => p.Account.Id).ToHashSet();
        AssertExactly(grid.Where(p => p.Km < km), [.. rows.Where(r => ours.Contains(r["id"]!.ToString()))]);
    }

    [Fact]
    public async Task Get_near_the_pole_finds_the_accounts_inside()
    {
        // Within 50 km of the pole cells get narrow and the search reads shorter cells as key ranges. The polar cap
        // is small, so other runs' accounts may be there too: only this test's accounts are checked.
        var lat = 89.8;
        var lon = Random.Shared.NextDouble() * 360 - 180;
        var grid = new List<Placed>();
        foreach (var (bearing, km) in new[] { (0.0, 5.0), (180.0, 10.0), (90.0, 15.0), (0.0, 30.0), (200.0, 40.0), (180.0, 70.0) })
        {
            var (plat, plon) = GeoTestPoints.Destination(lat, lon, bearing, km);
            grid.Add(new Placed(await Located(plat, plon, ("alias", $"pole{km}")), plat, plon, km));
        }
        var caller = await fixture.AddAccount();
        using var client = fixture.Client(caller);
        var rows = await PageAll(client, 3, ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "50"));
        AssertOursExactly(grid, 50, rows);
    }

    [Fact]
    public async Task Get_paging_by_3_visits_each_account_once_in_distance_order()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var grid = await Grid(lat, lon, 0.3, 0.8, 1.3, 1.8, 2.3, 2.8, 3.3, 3.8, 4.3, 4.8);
        var caller = await fixture.AddAccount();
        using var client = fixture.Client(caller);
        (string, string)[] at = [("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "5")];
        var rows = await PageAll(client, 3, at);
        AssertOursExactly(grid, 5, rows);
        // _token is accepted as well as _start, and the last page has no token (checked when no other run's accounts
        // are in the circle: they would shift the pages).
        if (rows.Count != grid.Count) return;
        var first = await client.Get("/location/get", [.. at, ("_count", "9")]);
        var rest = await client.Get("/location/get", [.. at, ("_count", "9"), ("_token", first.NextToken)]);
        ApiAssert.Ok(rest);
        Assert.Equal(grid.OrderBy(p => p.Km).Last().Account.Id, Assert.Single(rest.Data)!["id"]!.ToString());
        Assert.Equal("", rest.NextToken);
    }

    [Fact]
    public async Task Get_never_lists_the_caller()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var grid = await Grid(lat, lon, 0.5, 1.5);
        using var client = fixture.Client(grid[0].Account);
        var r = await client.Get("/location/get", ("latitude", Num(grid[0].Lat)), ("longitude", Num(grid[0].Lon)));
        ApiAssert.Ok(r);
        var row = Assert.Single(r.Data);
        Assert.Equal(grid[1].Account.Id, row!["id"]!.ToString());
    }

    [Fact]
    public async Task Put_replies_with_the_stored_row_and_updates_the_account()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        var r = await client.PostForm("/location/put", ("latitude", Num(lat)), ("longitude", Num(lon)), ("location", "Somewhere"));
        ApiAssert.Ok(r);
        Assert.Equal(["geohash", "id", "latitude", "longitude", "mtime"], Accounts.Keys(r.Json));
        Assert.Equal(Geohash.Encode(lat, lon, 4), r.Str("geohash"));
        Assert.Equal(a.Id, r.Str("id"));
        Assert.Equal(lat, r.Object["latitude"]!.GetValue<double>(), 9);
        Assert.Equal(lon, r.Object["longitude"]!.GetValue<double>(), 9);
        Assert.True(r.Object["mtime"]!.GetValue<long>() > 1_600_000_000_000);

        var own = (await client.Get("/account/get")).Object;
        Assert.Equal(lat, own["latitude"]!.GetValue<double>(), 9);
        Assert.Equal(lon, own["longitude"]!.GetValue<double>(), 9);
        Assert.Equal(Geohash.Encode(lat, lon, 4), own["geohash"]!.ToString());
        Assert.Equal("Somewhere", own["location"]!.ToString());
        Assert.True(own["ltime"]!.GetValue<long>() > 1_600_000_000_000);
    }

    [Fact]
    public async Task Put_moving_less_than_the_min_distance_is_305_and_changes_nothing()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var a = await Located(lat, lon);
        using var client = fixture.Client(a);
        var before = (await client.Get("/account/get")).Object;
        var (nlat, nlon) = GeoTestPoints.Destination(lat, lon, 90, 1);
        var r = await client.Get("/location/put", ("latitude", Num(nlat)), ("longitude", Num(nlon)), ("location", "moved"));
        ApiAssert.Error(r, 305, "ignored, min distance: 5");
        var after = (await client.Get("/account/get")).Object;
        foreach (var c in new[] { "latitude", "longitude", "geohash", "ltime", "mtime" }) Assert.Equal(before[c]?.ToJsonString(), after[c]?.ToJsonString());
        Assert.Null(after["location"]);
        // Still found at the old point, not the new one.
        var other = await fixture.AddAccount();
        using var search = fixture.Client(other);
        var found = await search.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("distance", "0.5"));
        Assert.Equal(a.Id, Assert.Single(found.Data)!["id"]!.ToString());
        Assert.Equal(0, found.Data[0]!["distance"]!.GetValue<double>());
    }

    [Fact]
    public async Task Put_moving_away_removes_the_old_entry()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var a = await Located(lat, lon);
        using var client = fixture.Client(a);
        // 100 km east: another cell; then 6 km further (past min-distance): maybe the same cell, maybe not.
        var (lat2, lon2) = GeoTestPoints.Destination(lat, lon, 90, 100);
        ApiAssert.Ok(await client.Get("/location/put", ("latitude", Num(lat2)), ("longitude", Num(lon2))));
        var (lat3, lon3) = GeoTestPoints.Destination(lat2, lon2, 0, 6);
        var r = await client.Get("/location/put", ("latitude", Num(lat3)), ("longitude", Num(lon3)));
        ApiAssert.Ok(r);
        Assert.Equal(Geohash.Encode(lat3, lon3, 4), r.Str("geohash"));

        var other = await fixture.AddAccount();
        using var search = fixture.Client(other);
        async Task<List<string>> Near(double la, double lo)
        {
            var rows = await PageAll(search, 1000, ("latitude", Num(la)), ("longitude", Num(lo)), ("distance", "3"));
            return [.. rows.Select(x => x["id"]!.ToString())];
        }
        Assert.DoesNotContain(a.Id, await Near(lat, lon));
        Assert.DoesNotContain(a.Id, await Near(lat2, lon2));
        Assert.Equal([a.Id], await Near(lat3, lon3));
        // Listed once even with a radius that covers the old cells.
        var wide = await PageAll(search, 1000, ("latitude", Num(lat2)), ("longitude", Num(lon2)), ("distance", "10"));
        Assert.Single(wide, x => x["id"]!.ToString() == a.Id);
    }

    [Fact]
    public async Task Get_with_details_adds_only_public_account_columns()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var other = await Located(lat, lon, ("alias", "Detailed"), ("email", "secret@example.com"), ("phone", "555"), ("city", "Hidden"));
        var caller = await Located(lat, lon);
        using var client = fixture.Client(caller);
        var r = await client.Get("/location/get", ("latitude", Num(lat)), ("longitude", Num(lon)), ("_details", "1"));
        ApiAssert.Ok(r);
        var row = Assert.Single(r.Data)!;
        Assert.Equal(other.Id, row["id"]!.ToString());
        Assert.Equal("Detailed", row["alias"]!.ToString());
        // bk_account's public columns are id and alias; everything else (name, email, coordinates...) stays private.
        Assert.Equal(PublicRow, Accounts.Keys(row));
    }

    [Fact]
    public async Task Replies_never_carry_other_accounts_coordinates_or_private_columns()
    {
        var (lat, lon) = GeoTestPoints.RandomCentre();
        var (plat, plon) = GeoTestPoints.Destination(lat, lon, 45, 1.234);
        var other = await Located(plat, plon, ("email", "private@example.com"), ("name", "Private Name"), ("alias", "Public Alias"), ("location", "Private Place"));
        var caller = await Located(lat, lon);
        using var client = fixture.Client(caller);
        var secrets = new[] { Num(plat), Num(plon), "private@example.com", "Private Name", "Private Place", Geohash.Encode(plat, plon, 6) };
        foreach (var q in new (string, string)[][] { [], [("_details", "1")], [("_count", "1")], [("distance", "50"), ("_details", "true")] })
        {
            var r = await client.Get("/location/get", [("latitude", Num(lat)), ("longitude", Num(lon)), .. q]);
            ApiAssert.Ok(r);
            Assert.Contains(r.Data, x => x!["id"]!.ToString() == other.Id);
            foreach (var s in secrets) Assert.DoesNotContain(s, r.Body, StringComparison.Ordinal);
            foreach (var row in r.Data)
                foreach (var c in new[] { "latitude", "longitude", "geohash", "location", "ltime", "email", "name", "login", "mtime" })
                    Assert.False(ApiResponse.HasProperty(row, c), $"{c} in {row}");
            // The paging token is opaque but readable: it must not leak more than the reply.
            if (r.NextToken.Length > 0)
            {
                var token = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(r.NextToken));
                foreach (var s in secrets) Assert.DoesNotContain(s, token, StringComparison.Ordinal);
            }
        }
    }
}

/// <summary>A server whose distances are exact (<c>-api-location-cloak 0</c>).</summary>
public sealed class ExactLocationFixture : ServerFixture
{
    /// <inheritdoc />
    protected override IEnumerable<string> Arguments => ["-api-location-cloak", "0"];
}
