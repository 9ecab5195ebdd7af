using Backend.Data;
using Backend.Geo;

namespace Backend.Api.Locations;

/// <summary>Finds every account within a radius through <c>bk_location</c> and the <see cref="Db"/> facade only.
/// It reads each cell of the <see cref="GeoCover"/> with one Select on the geohash (the first key column, so a key
/// range on every driver), lets the database drop rows outside the bounding box (latitude/longitude between), checks
/// the rest with the haversine distance, and returns them sorted closest first.
/// Cost: a page reads the accounts in the bounding box of the radius it needs (the cells' latitude band through the
/// (geohash, latitude) index, the longitude filtered by the database) and sorts those within it. The first page of a
/// wide search starts with a small radius and widens it only as far as the page needs; a page deep into the results
/// re-reads everything up to its distance. No server-side state: paging is exact (every account once, in order)
/// from the token alone.
/// Privacy: distances are measured to each account's cloaked position (<see cref="GeoCloak"/>, the centre of its
/// <c>-api-location-cloak</c> cell), and the radius test and the order use that distance too, so searches from any
/// number of centres, with any radius, learn nothing finer than the cell.</summary>
internal static class LocationSearch
{
    /// <summary>Decimals of the distances returned (0.01 km = 10 m): finer would only help to locate others.</summary>
    public const int DistanceDecimals = 2;

    /// <summary>Most cells read for one search (each is one database Select); beyond it shorter cells are read as
    /// prefix ranges.</summary>
    public const int MaxCells = 64;

    // Rows per Select page while reading a cell (the cell is read to its end).
    private const int CellPage = 1000;

    // Widens the box filter by a hair so a coordinate that rounds differently in a driver is not lost; the haversine
    // check decides.
    private const double Slack = 1e-9;

    // Twice the rounding step: see PageAsync.
    private const double RoundingMargin = 0.02;

    private static readonly string[] Columns = ["id", "latitude", "longitude"];

    /// <summary>One page of the accounts within <paramref name="distanceKm"/> of the point, closest first, after the
    /// match <paramref name="after"/> (a paging token) if given, and whether more follow. It searches a smaller radius
    /// first (<paramref name="stepKm"/> beyond the token) and widens it, guessing from the density found, until the
    /// page is certain: every account beyond the radius searched is farther than every account on the page.</summary>
    public static async Task<(List<LocationMatch> Page, bool More)> PageAsync(Db db, int precision, double cloakKm, double latitude, double longitude, double distanceKm,
        double stepKm, string? exclude, LocationMatch? after, int count, CancellationToken cancellationToken)
    {
        if (count <= 0) return ([], false);
        var radius = Math.Min(distanceKm, (after?.Distance ?? 0) + stepKm);
        while (true)
        {
            var found = await FindAsync(db, precision, cloakKm, latitude, longitude, radius, exclude, cancellationToken);
            var complete = radius >= distanceKm;
            // Outside the radius every rounded distance is at least round(radius) - 0.005 km; matches clearly closer
            // than that are final, the others wait for a wider search.
            var certain = complete ? found : found.FindAll(m => m.Exact <= radius - RoundingMargin);
            var first = 0;
            if (after is { } a)
            {
                var i = certain.BinarySearch(a, LocationMatch.Order);
                first = i >= 0 ? i + 1 : ~i;
            }
            var available = certain.Count - first;
            if (complete || available > count)
                return (certain.GetRange(first, Math.Min(count, available)), available > count);
            // Matches grow with the area: aim for the radius that should hold what is needed, with some room.
            var needed = first + count + 1.0;
            var guess = radius * Math.Sqrt(needed / Math.Max(certain.Count, 1)) * 1.25;
            radius = Math.Min(distanceKm, Math.Max(guess, radius * 1.5));
        }
    }

    /// <summary>Every account but <paramref name="exclude"/> whose position cloaked to <paramref name="cloakKm"/> lies
    /// within <paramref name="distanceKm"/> of the point, closest first. An account with more than one row (a move
    /// interrupted half-way) is kept once, at its closest.</summary>
    public static async Task<List<LocationMatch>> FindAsync(Db db, int precision, double cloakKm, double latitude, double longitude, double distanceKm, string? exclude, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        // A cloaked position lies within MaxOffsetKm of the stored one: the rows read reach that much farther.
        var cover = GeoCover.For(latitude, longitude, distanceKm + GeoCloak.MaxOffsetKm(cloakKm), precision, MaxCells);
        var found = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var cell in cover.Cells)
        {
            var (query, options) = CellQuery(cover, cell, precision);
            while (true)
            {
                var result = await db.SelectAsync(LocationTables.Location, query, options, cancellationToken);
                foreach (var row in result.Rows)
                {
                    if (row.GetString("id") is not { Length: > 0 } id || id == exclude) continue;
                    if (DbValues.ToDouble(row.GetValueOrDefault("latitude")) is not { } lat || DbValues.ToDouble(row.GetValueOrDefault("longitude")) is not { } lon) continue;
                    var cloaked = GeoCloak.Snap(lat, lon, cloakKm);
                    var d = Geohash.Distance(latitude, longitude, cloaked.Latitude, cloaked.Longitude);
                    if (d > distanceKm) continue;
                    if (!found.TryGetValue(id, out var seen) || d < seen) found[id] = d;
                }
                if (result.NextToken.Length == 0) break;
                options.Start = result.NextToken;
            }
        }
        var list = new List<LocationMatch>(found.Count);
        foreach (var (id, d) in found) list.Add(new LocationMatch(Math.Round(d, DistanceDecimals), id) { Exact = d });
        list.Sort(LocationMatch.Order);
        return list;
    }

    /// <summary>The Select of one cell: the geohash equal to it (stored precision) or in its prefix range (shorter),
    /// and the coordinates within the bounding box where that is one interval.</summary>
    private static (DbRow Query, DbOptions Options) CellQuery(GeoCover cover, string cell, int precision)
    {
        var options = new DbOptions { Count = CellPage, Select = Columns };
        var query = new DbRow();
        if (cell.Length == precision)
        {
            query["geohash"] = cell;
        }
        else
        {
            // Every stored geohash with this prefix: the alphabet's lowest and highest characters fill the rest.
            query["geohash"] = new object[] { cell + new string('0', precision - cell.Length), cell + new string('z', precision - cell.Length) };
            options.Ops["geohash"] = DbCompare.Between;
        }
        var box = cover.Box;
        query["latitude"] = new object[] { box.MinLatitude - Slack, box.MaxLatitude + Slack };
        options.Ops["latitude"] = DbCompare.Between;
        var full = box.MinLongitude <= -180 && box.MaxLongitude >= 180;
        if (full) return (query, options);
        double west, east;
        if (!box.CrossesAntimeridian)
        {
            (west, east) = (box.MinLongitude, box.MaxLongitude);
        }
        else
        {
            // Across ±180 the box is two intervals; a cell lies on one side of the meridian.
            var bounds = Geohash.Bounds(cell);
            if (bounds.MinLongitude >= box.MinLongitude) (west, east) = (box.MinLongitude, 180);
            else if (bounds.MaxLongitude <= box.MaxLongitude) (west, east) = (-180, box.MaxLongitude);
            else return (query, options);
        }
        query["longitude"] = new object[] { west - Slack, east + Slack };
        options.Ops["longitude"] = DbCompare.Between;
        return (query, options);
    }
}
