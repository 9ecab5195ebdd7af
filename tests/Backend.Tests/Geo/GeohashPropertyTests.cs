using Backend.Geo;

namespace Backend.Tests.Geo;

/// <summary>Properties of Geohash over many random points (a fixed seed, so a failure repeats): round trips,
/// containment, prefixes, adjacency of neighbours, covering, and the distance's symmetry.</summary>
public sealed class GeohashPropertyTests
{
    private const int Samples = 3000;

    private static IEnumerable<(double Lat, double Lon, int Precision)> Points(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Samples; i++)
        {
            // Some points on the edges the code treats specially: the poles and the ±180 meridian.
            var lat = (i % 10) switch { 0 => 90, 1 => -90, 2 => 89.9999 * (random.Next(2) * 2 - 1), _ => random.NextDouble() * 180 - 90 };
            var lon = (i % 7) switch { 0 => 180, 1 => -180, 2 => 179.9999 * (random.Next(2) * 2 - 1), _ => random.NextDouble() * 360 - 180 };
            yield return (lat, lon, 1 + random.Next(Geohash.MaxPrecision));
        }
    }

    [Fact]
    public void Encode_and_decode_round_trip_and_the_cell_holds_the_point()
    {
        foreach (var (lat, lon, p) in Points(1))
        {
            var h = Geohash.Encode(lat, lon, p);
            Assert.Equal(p, h.Length);
            var cell = Geohash.Decode(h);
            Assert.Equal(h, Geohash.Encode(cell.Latitude, cell.Longitude, p));
            var b = cell.Bounds;
            Assert.True(lat >= b.MinLatitude && lat <= b.MaxLatitude && lon >= b.MinLongitude && lon <= b.MaxLongitude, $"{lat},{lon} outside {h} {b}");
            // A longer geohash of the same point starts with the shorter one.
            Assert.StartsWith(h, Geohash.Encode(lat, lon, Geohash.MaxPrecision), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Neighbors_are_distinct_adjacent_cells_of_the_same_precision()
    {
        foreach (var (lat, lon, p) in Points(2).Where(x => x.Precision <= 10))
        {
            var h = Geohash.Encode(lat, lon, p);
            var cell = Geohash.Decode(h);
            var neighbors = Geohash.Neighbors(h);
            Assert.Equal(neighbors.Count, neighbors.Distinct().Count());
            Assert.DoesNotContain(h, neighbors);
            var onEdge = cell.Latitude + cell.LatitudeError >= 90 || cell.Latitude - cell.LatitudeError <= -90;
            Assert.Equal(onEdge ? 5 : 8, neighbors.Count);
            foreach (var n in neighbors)
            {
                Assert.Equal(p, n.Length);
                var c = Geohash.Decode(n);
                // Adjacent: one row and/or one column away, the column counted around the ±180 meridian.
                var rows = Math.Abs(c.Latitude - cell.Latitude) / (2 * cell.LatitudeError);
                var dLon = Math.Abs(c.Longitude - cell.Longitude);
                var columns = Math.Min(dLon, 360 - dLon) / (2 * cell.LongitudeError);
                Assert.True(Math.Abs(rows - Math.Round(rows)) < 1e-6 && Math.Round(rows) <= 1, $"{n} is {rows} rows from {h}");
                Assert.True(Math.Abs(columns - Math.Round(columns)) < 1e-6 && Math.Round(columns) <= 1, $"{n} is {columns} columns from {h}");
                Assert.True(Math.Round(rows) + Math.Round(columns) >= 1);
                // And the relation is symmetric.
                Assert.Contains(h, Geohash.Neighbors(n));
            }
        }
    }

    [Fact]
    public void Distance_is_symmetric_zero_on_the_same_point_and_meets_the_triangle_inequality()
    {
        var points = Points(3).ToList();
        for (var i = 0; i + 2 < points.Count; i += 3)
        {
            var (a, b, c) = (points[i], points[i + 1], points[i + 2]);
            var ab = Geohash.Distance(a.Lat, a.Lon, b.Lat, b.Lon);
            Assert.Equal(ab, Geohash.Distance(b.Lat, b.Lon, a.Lat, a.Lon), 9);
            Assert.Equal(0, Geohash.Distance(a.Lat, a.Lon, a.Lat, a.Lon));
            Assert.InRange(ab, 0, Math.PI * Geohash.EarthRadiusKm + 1e-6);
            var ac = Geohash.Distance(a.Lat, a.Lon, c.Lat, c.Lon);
            var cb = Geohash.Distance(c.Lat, c.Lon, b.Lat, b.Lon);
            Assert.True(ab <= ac + cb + 1e-6);
        }
    }

    [Fact]
    public void The_bounding_box_holds_every_point_within_the_distance()
    {
        var random = new Random(4);
        foreach (var (lat, lon, _) in Points(4).Take(1000))
        {
            var km = 0.5 + random.NextDouble() * 100;
            var box = Geohash.BoundingBox(lat, lon, km);
            for (var k = 0; k < 16; k++)
            {
                // A point at exactly km (slightly less) in a random direction.
                var (plat, plon) = GeoTestPoints.Destination(lat, lon, random.NextDouble() * 360, km * 0.999999);
                Assert.True(box.Contains(plat, plon), $"{plat},{plon} ({km} km from {lat},{lon}) outside {box}");
            }
        }
    }

    [Fact]
    public void The_cover_cells_hold_every_point_within_the_distance()
    {
        var random = new Random(5);
        foreach (var (lat, lon, _) in Points(5).Take(600))
        {
            var km = 0.5 + random.NextDouble() * 50;
            var cover = GeoCover.For(lat, lon, km, 4, 64);
            Assert.InRange(cover.Cells.Count, 1, 64);
            Assert.Equal(cover.Cells.Count, cover.Cells.Distinct().Count());
            var cells = cover.Cells.ToHashSet();
            for (var k = 0; k < 16; k++)
            {
                var (plat, plon) = GeoTestPoints.Destination(lat, lon, random.NextDouble() * 360, km * random.NextDouble());
                Assert.Contains(Geohash.Encode(plat, plon, cover.Precision), cells);
            }
        }
    }

    [Fact]
    public void The_cover_of_the_default_radius_is_the_centre_and_its_neighbours()
    {
        // 10 km around the reference's point at 4 characters: within 9q8y and its neighbours.
        var cover = GeoCover.For(37.7, -122.4, 10, 4, 64);
        Assert.Equal(4, cover.Precision);
        Assert.Contains("9q8y", cover.Cells);
        Assert.Subset(Geohash.Neighbors("9q8y").Append("9q8y").ToHashSet(), cover.Cells.ToHashSet());
    }

    [Fact]
    public void The_cover_at_the_pole_falls_back_to_shorter_cells()
    {
        var cover = GeoCover.For(89.9, 0, 50, 4, 64);
        Assert.True(cover.Precision < 4);
        Assert.InRange(cover.Cells.Count, 1, 64);
        var random = new Random(6);
        for (var k = 0; k < 200; k++)
        {
            var (plat, plon) = GeoTestPoints.Destination(89.9, 0, random.NextDouble() * 360, 50 * random.NextDouble());
            Assert.Contains(Geohash.Encode(plat, plon, cover.Precision), cover.Cells);
        }
    }
}
