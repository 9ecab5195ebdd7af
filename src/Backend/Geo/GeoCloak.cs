namespace Backend.Geo;

/// <summary>Location cloaking: a point is replaced by the centre of the cell of a fixed grid it lies in, so whatever
/// is computed from the cloaked point (a distance, an order, a radius test) is the same for every point of the cell,
/// and no number of questions locates the point more precisely than its cell.
/// The grid: rows of equal height (<c>cellKm</c> of latitude) from the south pole; each row is cut into cells of
/// <c>cellKm</c> width measured at the row's middle latitude (fewer, wider cells toward the poles; at least one per
/// row). Cells are about <c>cellKm</c> x <c>cellKm</c>; the cloaked point is at most <see cref="MaxOffsetKm"/> from
/// the real one.</summary>
internal static class GeoCloak
{
    /// <summary>The centre of the cell of <paramref name="cellKm"/> that holds the point; the point itself when
    /// <paramref name="cellKm"/> is 0 (cloaking off).</summary>
    public static GeoPoint Snap(double latitude, double longitude, double cellKm)
    {
        if (!(cellKm > 0)) return new GeoPoint(latitude, longitude);
        var rowHeight = cellKm / Geohash.KmPerDegree;
        var rows = Math.Max(1, (int)Math.Floor(180 / rowHeight));
        rowHeight = 180.0 / rows;
        var row = Math.Clamp((int)Math.Floor((latitude + 90) / rowHeight), 0, rows - 1);
        var centreLat = -90 + (row + 0.5) * rowHeight;
        // The row is cut into whole cells so the grid wraps cleanly at the antimeridian.
        var rowWidthKm = 360 * Geohash.KmPerDegree * Math.Cos(centreLat * Math.PI / 180);
        var columns = Math.Max(1, (int)Math.Floor(rowWidthKm / cellKm));
        var columnWidth = 360.0 / columns;
        var column = Math.Clamp((int)Math.Floor((longitude + 180) / columnWidth), 0, columns - 1);
        var centreLon = -180 + (column + 0.5) * columnWidth;
        return new GeoPoint(centreLat, centreLon);
    }

    /// <summary>The farthest a cloaked point can be from the real one, in km (half the cell's diagonal, with room for
    /// the cells being up to twice as wide as <paramref name="cellKm"/> where a row holds few of them).</summary>
    public static double MaxOffsetKm(double cellKm) => cellKm > 0 ? cellKm * 1.5 : 0;
}
