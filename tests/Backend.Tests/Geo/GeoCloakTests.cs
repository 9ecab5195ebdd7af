using Backend.Geo;

namespace Backend.Tests.Geo;

/// <summary>The cloaking grid: every point maps to the centre of its cell, points of one cell map to the same centre,
/// the offset stays within <see cref="GeoCloak.MaxOffsetKm"/>, and 0 turns cloaking off.</summary>
public sealed class GeoCloakTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.25)]
    [InlineData(5.0)]
    public void Every_point_is_moved_at_most_the_bound_and_its_centre_is_a_fixed_point(double cellKm)
    {
        var random = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            var lat = random.NextDouble() * 180 - 90;
            var lon = random.NextDouble() * 360 - 180;
            var c = GeoCloak.Snap(lat, lon, cellKm);
            Assert.True(c.IsValid, $"{c}");
            Assert.True(Geohash.Distance(lat, lon, c.Latitude, c.Longitude) <= GeoCloak.MaxOffsetKm(cellKm), $"{lat},{lon} -> {c}");
            Assert.Equal(c, GeoCloak.Snap(c.Latitude, c.Longitude, cellKm));
        }
    }

    [Fact]
    public void Points_within_a_cell_share_its_centre_and_neighbours_do_not()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var c = GeoCloak.Snap(random.NextDouble() * 160 - 80, random.NextDouble() * 340 - 170, 1);
            // 0.3 km from the centre in any direction is still inside a 1 km cell (half-width >= 0.5 km).
            var (lat, lon) = GeoTestPoints.Destination(c.Latitude, c.Longitude, random.NextDouble() * 360, 0.3);
            Assert.Equal(c, GeoCloak.Snap(lat, lon, 1));
            // 1.6 km north is another row.
            var (nlat, nlon) = GeoTestPoints.Destination(c.Latitude, c.Longitude, 0, 1.6);
            Assert.NotEqual(c, GeoCloak.Snap(nlat, nlon, 1));
        }
    }

    [Fact]
    public void Zero_turns_cloaking_off()
    {
        Assert.Equal(new GeoPoint(12.345678, -98.7654321), GeoCloak.Snap(12.345678, -98.7654321, 0));
        Assert.Equal(0, GeoCloak.MaxOffsetKm(0));
    }

    [Fact]
    public void The_grid_wraps_at_the_antimeridian_and_covers_the_poles()
    {
        foreach (var lon in new[] { -180.0, 180.0, 179.9999, -179.9999 })
        {
            var c = GeoCloak.Snap(10, lon, 1);
            Assert.True(c.IsValid);
            Assert.True(Geohash.Distance(10, lon, c.Latitude, c.Longitude) <= GeoCloak.MaxOffsetKm(1));
        }
        foreach (var lat in new[] { -90.0, 90.0, 89.99999, -89.99999 })
            Assert.True(GeoCloak.Snap(lat, 45, 1).IsValid);
    }
}
