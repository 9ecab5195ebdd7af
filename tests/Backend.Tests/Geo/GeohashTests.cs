using Backend.Geo;

namespace Backend.Tests.Geo;

/// <summary>Geohash against published values (Wikipedia's examples, the reference README's San Francisco cell and
/// its neighbours) and edge cases: the poles, the ±180 meridian, invalid input.</summary>
public sealed class GeohashTests
{
    [Theory]
    [InlineData(42.6, -5.6, 5, "ezs42")]                 // Wikipedia
    [InlineData(57.64911, 10.40744, 11, "u4pruydqqvj")]  // Wikipedia (Jutland)
    [InlineData(37.7749, -122.4194, 5, "9q8yy")]         // San Francisco
    [InlineData(37.7, -122.4, 4, "9q8y")]                // the reference README's example
    [InlineData(0, 0, 5, "s0000")]                       // cells are half-open: the origin is in the north-east cell
    [InlineData(90, 180, 4, "zzzz")]                     // the far edges belong to the last cells
    [InlineData(-90, -180, 4, "0000")]
    public void Encode_gives_the_published_values(double latitude, double longitude, int precision, string expected) =>
        Assert.Equal(expected, Geohash.Encode(latitude, longitude, precision));

    [Fact]
    public void Encode_into_a_span_gives_the_same_as_the_string()
    {
        Span<char> buffer = stackalloc char[11];
        Geohash.Encode(57.64911, 10.40744, buffer);
        Assert.Equal("u4pruydqqvj", buffer.ToString());
    }

    [Fact]
    public void Decode_of_ezs42_gives_the_centre_and_error_as_published()
    {
        // Wikipedia: ezs42 = 42.605 +- 0.022, -5.603 +- 0.022.
        var cell = Geohash.Decode("ezs42");
        Assert.Equal(42.605, cell.Latitude, 3);
        Assert.Equal(-5.603, cell.Longitude, 3);
        Assert.Equal(0.02197265625, cell.LatitudeError, 12);
        Assert.Equal(0.02197265625, cell.LongitudeError, 12);
        var b = cell.Bounds;
        Assert.Equal(42.5830078125, b.MinLatitude, 10);
        Assert.Equal(42.626953125, b.MaxLatitude, 10);
        Assert.Equal(-5.625, b.MinLongitude, 10);
        Assert.Equal(-5.5810546875, b.MaxLongitude, 10);
        Assert.True(b.Contains(42.6, -5.6));
    }

    [Fact]
    public void Decode_accepts_upper_case() => Assert.Equal(Geohash.Decode("ezs42"), Geohash.Decode("EZS42"));

    [Theory]
    [InlineData("")]
    [InlineData("ezs4a")]     // 'a' is not in the alphabet (nor i, l, o)
    [InlineData("ezs4i")]
    [InlineData("ezs4-")]
    [InlineData("0123456789bcd")] // 13 characters
    public void Decode_of_an_invalid_hash_throws(string geohash)
    {
        Assert.False(Geohash.TryDecode(geohash, out _));
        Assert.Throws<ArgumentException>(() => Geohash.Decode(geohash));
    }

    [Theory]
    [InlineData(90.0001, 0)]
    [InlineData(-91, 0)]
    [InlineData(0, 180.5)]
    [InlineData(double.NaN, 0)]
    [InlineData(0, double.PositiveInfinity)]
    public void Encode_out_of_range_throws(double latitude, double longitude) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Geohash.Encode(latitude, longitude, 5));

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    public void Encode_with_a_bad_precision_throws(int precision) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Geohash.Encode(1, 1, precision));

    [Fact]
    public void Neighbors_of_9q8y_are_the_reference_example_in_the_documented_order()
    {
        // The reference README: the neighbours of 9q8y are 9q8z, 9q8v, 9q8w, 9q8x, 9q8t, 9q9n, 9q9p, 9q9j.
        var n = Geohash.Neighbors("9q8y");
        Assert.Equal(["9q8t", "9q8v", "9q8w", "9q8x", "9q8z", "9q9j", "9q9n", "9q9p"], n.Order(StringComparer.Ordinal));
        // In the documented order N, NE, E, SE, S, SW, W, NW.
        Assert.Equal(["9q8z", "9q9p", "9q9n", "9q9j", "9q8v", "9q8t", "9q8w", "9q8x"], n);
    }

    [Fact]
    public void Neighbor_of_the_known_cell_ezs42_in_each_direction_is_as_published()
    {
        Assert.Equal("ezs48", Geohash.Neighbor("ezs42", 1, 0));
        Assert.Equal("ezs43", Geohash.Neighbor("ezs42", 0, 1));
        Assert.Equal("ezs40", Geohash.Neighbor("ezs42", -1, 0));
        Assert.Equal("ezefr", Geohash.Neighbor("ezs42", 0, -1));
    }

    [Fact]
    public void Neighbors_wrap_across_the_antimeridian()
    {
        var west = Geohash.Encode(10, -179.99, 4);
        var east = Geohash.Encode(10, 179.99, 4);
        Assert.Equal(east, Geohash.Neighbor(west, 0, -1));
        Assert.Equal(west, Geohash.Neighbor(east, 0, 1));
        Assert.Contains(east, Geohash.Neighbors(west));
        Assert.Equal(8, Geohash.Neighbors(west).Count);
    }

    [Fact]
    public void Neighbors_at_the_poles_have_nothing_beyond()
    {
        var north = Geohash.Encode(89.99, 20, 3);
        Assert.Null(Geohash.Neighbor(north, 1, 0));
        var n = Geohash.Neighbors(north);
        Assert.Equal(5, n.Count);
        Assert.All(n, h => Assert.True(Geohash.Decode(h).Latitude <= Geohash.Decode(north).Latitude));
        var south = Geohash.Encode(-89.99, -20, 3);
        Assert.Null(Geohash.Neighbor(south, -1, 1));
        Assert.Equal(5, Geohash.Neighbors(south).Count);
        // One-character cells: 8 columns, so even there W (wrapped) and E differ.
        Assert.Equal(["c", "9", "8", "x", "z"], Geohash.Neighbors("b"));
    }

    [Theory]
    [InlineData(5.0, 4)]       // the reference: 5 km -> 4 characters
    [InlineData(10.0, 4)]
    [InlineData(19.0, 4)]
    [InlineData(20.0, 3)]
    [InlineData(1.0, 5)]
    [InlineData(4.8, 5)]
    [InlineData(0.5, 6)]
    [InlineData(0.1, 7)]
    [InlineData(0.00001, 12)]
    [InlineData(6000.0, 1)]
    public void PrecisionFor_follows_the_cell_height_table(double km, int expected) => Assert.Equal(expected, Geohash.PrecisionFor(km));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void PrecisionFor_a_distance_that_is_not_positive_throws(double km) => Assert.Throws<ArgumentOutOfRangeException>(() => Geohash.PrecisionFor(km));

    [Fact]
    public void Cell_sizes_are_as_documented()
    {
        Assert.Equal(19.55, Geohash.CellHeightKm(4), 2);
        Assert.Equal(39.09, Geohash.CellWidthKm(4), 2);
        Assert.Equal(4.887, Geohash.CellHeightKm(5), 3);
        Assert.Equal(19.55, Geohash.CellWidthKm(4, 60), 2); // cos 60 = 0.5
    }

    [Theory]
    [InlineData(51.5074, -0.1278, 48.8566, 2.3522, 343.5)]        // London - Paris
    [InlineData(40.7128, -74.0060, 34.0522, -118.2437, 3935.7)]   // New York - Los Angeles
    [InlineData(36.12, -86.67, 33.94, -118.40, 2886.4)]           // Nashville - LAX (Rosetta Code's haversine example)
    [InlineData(-33.8688, 151.2093, 51.5074, -0.1278, 16993.9)]   // Sydney - London
    public void Distance_of_known_city_pairs_is_within_0_5_percent(double lat1, double lon1, double lat2, double lon2, double km)
    {
        var d = Geohash.Distance(lat1, lon1, lat2, lon2);
        Assert.True(Math.Abs(d - km) / km < 0.005, $"{d} km, expected about {km} km");
    }

    [Fact]
    public void Distance_holds_across_the_antimeridian_and_the_poles()
    {
        Assert.Equal(Geohash.Distance(0, 179.9, 0, 180), Geohash.Distance(0, -179.9, 0, 180), 9);
        Assert.Equal(2 * 0.1 * Geohash.KmPerDegree, Geohash.Distance(0, 179.9, 0, -179.9), 6);
        Assert.Equal(Math.PI * Geohash.EarthRadiusKm, Geohash.Distance(90, 0, -90, 0), 6);
        Assert.Equal(0, Geohash.Distance(90, 10, 90, -170), 6);
    }

    [Fact]
    public void The_bounding_box_wraps_across_the_antimeridian_and_spans_every_longitude_around_a_pole()
    {
        var box = Geohash.BoundingBox(10, 179.95, 20);
        Assert.True(box.CrossesAntimeridian);
        Assert.True(box.Contains(10, -179.95));
        Assert.True(box.Contains(10, 179.99));
        Assert.False(box.Contains(10, 0));
        Assert.Equal(10, box.Center.Latitude, 9);
        Assert.True(Math.Abs(box.Center.Longitude) > 179.9);

        var polar = Geohash.BoundingBox(89.9, 45, 50);
        Assert.Equal(90, polar.MaxLatitude);
        Assert.Equal(-180, polar.MinLongitude);
        Assert.Equal(180, polar.MaxLongitude);
        Assert.True(polar.Contains(89.8, -135));

        var small = Geohash.BoundingBox(0, 0, 111.19508);
        Assert.Equal(1, small.MaxLatitude, 4);
        Assert.Equal(1, small.MaxLongitude, 4);
    }

    [Fact]
    public void A_cover_across_the_antimeridian_takes_cells_on_both_sides()
    {
        var cells = Geohash.Cover(Geohash.BoundingBox(0.1, 179.99, 5), 4, 64)!;
        Assert.Contains(Geohash.Encode(0.1, 179.99, 4), cells);
        Assert.Contains(Geohash.Encode(0.1, -179.99, 4), cells);
        Assert.Null(Geohash.Cover(Geohash.BoundingBox(0, 0, 50), 6, 64)); // too many cells: the caller goes shorter
    }
}
