namespace Backend.Geo;

/// <summary>The cells a radius search reads: every cell of the stored precision that overlaps the circle's bounding
/// box, or, when that would be more than a limit (a large radius, or a circle near a pole where cells get narrow),
/// the overlapping cells of the longest shorter precision that stays within it. Each cell is one key range of a
/// table keyed by geohash: an equality at the stored precision, a prefix range at a shorter one.</summary>
/// <param name="Box">The circle's bounding box (what a row must also lie in).</param>
/// <param name="Precision">The length of the geohashes in <paramref name="Cells"/>.</param>
/// <param name="Cells">The cells to read.</param>
internal sealed record GeoCover(GeoBox Box, int Precision, IReadOnlyList<string> Cells)
{
    /// <summary>Plans a search of everything within <paramref name="distanceKm"/> of a point in a table whose
    /// geohashes have <paramref name="storedPrecision"/> characters, reading at most <paramref name="maxCells"/>
    /// cells (at least 32, since the whole world is 32 one-character cells).</summary>
    public static GeoCover For(double latitude, double longitude, double distanceKm, int storedPrecision, int maxCells)
    {
        var box = Geohash.BoundingBox(latitude, longitude, distanceKm);
        maxCells = Math.Max(maxCells, 32);
        for (var p = storedPrecision; p >= 1; p--)
        {
            if (Geohash.Cover(box, p, maxCells) is { } cells) return new GeoCover(box, p, cells);
        }
        throw new InvalidOperationException("unreachable: one-character cells always fit");
    }
}
