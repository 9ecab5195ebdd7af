using System.Globalization;
using Backend.Geo;
using Backend.Tests.Geo;

namespace Backend.Tests.Server;

/// <summary>The triangulation attack of the hardening issue, run against the real server. An attacker searches from
/// many centres (distances to 0.01 km) and probes the radius boundary from a few more, then solves for the victim's
/// position by least squares. With the default cloaking (<c>-api-location-cloak 1</c>) two victims placed in
/// opposite corners of one 1 km cell get identical answers to every query, so no attack can tell them apart and
/// the estimate of each is at least half a cell away from it; without cloaking the same attack finds a victim to
/// within 50 m, which shows the attack is real.</summary>
public sealed class LocationCloakTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const double CellKm = 1;

    [Fact]
    public async Task Triangulation_and_radius_probing_cannot_locate_anyone_more_precisely_than_the_cell()
    {
        var (clat, clon) = GeoTestPoints.RandomCentre();
        var cell = GeoCloak.Snap(clat, clon, CellKm);
        // Two victims near opposite corners of the same cell (about 1.1 km apart).
        var v1Point = Offset(cell, -0.4, -0.4);
        var v2Point = Offset(cell, 0.4, 0.4);
        Assert.Equal(cell, GeoCloak.Snap(v1Point.Latitude, v1Point.Longitude, CellKm));
        Assert.Equal(cell, GeoCloak.Snap(v2Point.Latitude, v2Point.Longitude, CellKm));
        var v1 = await LocatedAccount(fixture, v1Point);
        var v2 = await LocatedAccount(fixture, v2Point);
        var attacker = await fixture.AddAccount();
        using var client = fixture.Client(attacker);

        var attack = new Attack(client, cell);
        var transcript1 = await attack.Run(v1.Id);
        var transcript2 = await attack.Run(v2.Id);

        // The same answer to every question: the two points are indistinguishable.
        Assert.Equal(transcript1.Answers, transcript2.Answers);
        var error1 = Geohash.Distance(transcript1.Estimate, v1Point);
        var error2 = Geohash.Distance(transcript2.Estimate, v2Point);
        Assert.True(error1 >= CellKm / 2 && error2 >= CellKm / 2, $"estimates {error1:F3} km and {error2:F3} km from the victims");
        Assert.True(Geohash.Distance(transcript1.Estimate, transcript2.Estimate) < 0.05, "both estimates are the cell's centre");
    }

    internal static GeoPoint Offset(GeoPoint p, double northKm, double eastKm) => new(
        p.Latitude + northKm / Geohash.KmPerDegree,
        p.Longitude + eastKm / (Geohash.KmPerDegree * Math.Cos(p.Latitude * Math.PI / 180)));

    internal static async Task<TestAccount> LocatedAccount(ServerFixture fixture, GeoPoint p)
    {
        var a = await fixture.AddAccount();
        using var client = fixture.Client(a);
        ApiAssert.Ok(await client.Get("/location/put", ("latitude", Num(p.Latitude)), ("longitude", Num(p.Longitude))));
        return a;
    }

    internal static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>What the attacker asks about one victim, and what it concludes.</summary>
    internal sealed record Transcript(List<string> Answers, GeoPoint Estimate);

    /// <summary>The attack: distances from 24 centres around the area (0.3 to 8 km out), then from 3 of them a
    /// binary search on the radius for the smallest one that still lists the victim; least squares on all of it.</summary>
    internal sealed class Attack(BackendClient client, GeoPoint area)
    {
        public async Task<Transcript> Run(string victim)
        {
            var answers = new List<string>();
            var observations = new List<(GeoPoint Centre, double Km)>();
            for (var i = 0; i < 24; i++)
            {
                var km = 0.3 + i * 0.33;
                var (lat, lon) = GeoTestPoints.Destination(area.Latitude, area.Longitude, i * 137.5 % 360, km);
                var centre = new GeoPoint(lat, lon);
                var d = await DistanceTo(centre, 15, victim);
                answers.Add($"{i}:{d?.ToString("R", CultureInfo.InvariantCulture) ?? "-"}");
                if (d is { } found) observations.Add((centre, found));
            }
            for (var i = 0; i < 3; i++)
            {
                var (lat, lon) = GeoTestPoints.Destination(area.Latitude, area.Longitude, i * 120, 2);
                var centre = new GeoPoint(lat, lon);
                double lo = 0, hi = 5;
                for (var step = 0; step < 14; step++)
                {
                    var mid = (lo + hi) / 2;
                    var listed = await DistanceTo(centre, mid, victim) is not null;
                    answers.Add($"r{i}:{mid.ToString("R", CultureInfo.InvariantCulture)}:{listed}");
                    if (listed) hi = mid;
                    else lo = mid;
                }
                observations.Add((centre, hi));
            }
            Assert.True(observations.Count >= 10, "the victim was found from the centres");
            return new Transcript(answers, Solve(observations, area));
        }

        private async Task<double?> DistanceTo(GeoPoint centre, double radiusKm, string victim)
        {
            var r = await client.Get("/location/get", ("latitude", Num(centre.Latitude)), ("longitude", Num(centre.Longitude)),
                ("distance", Num(Math.Max(radiusKm, 0.001))), ("_count", "1000"));
            ApiAssert.Ok(r);
            var row = r.Data.FirstOrDefault(x => (string?)x!["id"] == victim);
            return row?["distance"]!.GetValue<double>();
        }

        /// <summary>Least squares by Gauss-Newton on a local plane (km east and north of the start).</summary>
        private static GeoPoint Solve(List<(GeoPoint Centre, double Km)> observations, GeoPoint start)
        {
            double x = 0, y = 0;
            var kmPerLon = Geohash.KmPerDegree * Math.Cos(start.Latitude * Math.PI / 180);
            (double X, double Y) Local(GeoPoint p) => ((p.Longitude - start.Longitude) * kmPerLon, (p.Latitude - start.Latitude) * Geohash.KmPerDegree);
            var local = observations.Select(o => (P: Local(o.Centre), o.Km)).ToList();
            for (var iteration = 0; iteration < 50; iteration++)
            {
                double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
                foreach (var (p, km) in local)
                {
                    var dx = x - p.X;
                    var dy = y - p.Y;
                    var d = Math.Max(Math.Sqrt(dx * dx + dy * dy), 1e-9);
                    var (jx, jy) = (dx / d, dy / d);
                    var residual = d - km;
                    a11 += jx * jx; a12 += jx * jy; a22 += jy * jy;
                    b1 += jx * residual; b2 += jy * residual;
                }
                var det = a11 * a22 - a12 * a12;
                if (Math.Abs(det) < 1e-12) break;
                x -= (a22 * b1 - a12 * b2) / det;
                y -= (a11 * b2 - a12 * b1) / det;
            }
            return new GeoPoint(start.Latitude + y / Geohash.KmPerDegree, start.Longitude + x / kmPerLon);
        }
    }
}

/// <summary>The same attack without cloaking (<c>-api-location-cloak 0</c>) finds the victim to within 50 m: the
/// attack in <see cref="LocationCloakTests"/> is one that works.</summary>
public sealed class LocationNoCloakTests(ExactLocationFixture fixture) : IClassFixture<ExactLocationFixture>
{
    [Fact]
    public async Task Without_cloaking_the_attack_locates_the_victim()
    {
        var (clat, clon) = GeoTestPoints.RandomCentre();
        var area = new GeoPoint(clat, clon);
        var victimPoint = LocationCloakTests.Offset(area, 0.37, -0.21);
        var victim = await LocationCloakTests.LocatedAccount(fixture, victimPoint);
        using var client = fixture.Client(await fixture.AddAccount());
        var transcript = await new LocationCloakTests.Attack(client, area).Run(victim.Id);
        var error = Geohash.Distance(transcript.Estimate, victimPoint);
        Assert.True(error < 0.05, $"the attack missed by {error:F3} km");
    }
}
