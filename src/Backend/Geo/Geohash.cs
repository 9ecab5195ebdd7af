namespace Backend.Geo;

/// <summary>Geohash (Gustavo Niemeyer's public-domain scheme): a point's longitude and latitude bits interleaved
/// (longitude first), written 5 bits per character in the alphabet <c>0123456789bcdefghjkmnpqrstuvwxyz</c>. Each
/// character narrows the cell; a geohash is a prefix of the geohashes of every point inside its cell.
/// Cells are half-open (<c>[south, north)</c>, <c>[west, east)</c>); latitude 90 and longitude 180 fall in the last
/// cell. Also: neighbours (across the ±180 meridian; none beyond a pole), cells covering a box, haversine distance,
/// and the cell size table that turns <c>-min-distance</c> into a precision.</summary>
internal static class Geohash
{
    /// <summary>The longest geohash handled: 12 characters = 60 bits, a cell of about 3.7 cm x 1.9 cm.</summary>
    public const int MaxPrecision = 12;

    /// <summary>Mean earth radius in km (IUGG), used by <see cref="Distance(double, double, double, double)"/>.</summary>
    public const double EarthRadiusKm = 6371.0088;

    /// <summary>Km per degree of latitude on that sphere (also per degree of longitude at the equator).</summary>
    public const double KmPerDegree = Math.PI * EarthRadiusKm / 180;

    private const string Alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";

    // Character -> 5-bit value, -1 for characters outside the alphabet. Upper case is accepted when decoding.
    private static readonly sbyte[] Values = BuildValues();

    private static sbyte[] BuildValues()
    {
        var v = new sbyte[128];
        Array.Fill(v, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            v[Alphabet[i]] = (sbyte)i;
            v[char.ToUpperInvariant(Alphabet[i])] = (sbyte)i;
        }
        return v;
    }

    /// <summary>Bits of longitude in a geohash of <paramref name="precision"/> characters (the first bit is longitude).</summary>
    public static int LongitudeBits(int precision) => (5 * precision + 1) / 2;

    /// <summary>Bits of latitude in a geohash of <paramref name="precision"/> characters.</summary>
    public static int LatitudeBits(int precision) => 5 * precision / 2;

    /// <summary>The geohash of a point with <paramref name="precision"/> characters (1..12).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A coordinate out of range or not finite, or a bad precision.</exception>
    public static string Encode(double latitude, double longitude, int precision = MaxPrecision)
    {
        CheckPrecision(precision);
        Span<char> buffer = stackalloc char[MaxPrecision];
        Encode(latitude, longitude, buffer[..precision]);
        return new string(buffer[..precision]);
    }

    /// <summary>Writes the geohash of a point into <paramref name="destination"/>, one character per element
    /// (its length is the precision, 1..12). Allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A coordinate out of range or not finite, or a bad length.</exception>
    public static void Encode(double latitude, double longitude, Span<char> destination)
    {
        if (!GeoPoint.IsLatitude(latitude)) throw new ArgumentOutOfRangeException(nameof(latitude), latitude, "latitude must be within -90..90");
        if (!GeoPoint.IsLongitude(longitude)) throw new ArgumentOutOfRangeException(nameof(longitude), longitude, "longitude must be within -180..180");
        var precision = destination.Length;
        CheckPrecision(precision);
        var latBits = LatitudeBits(precision);
        var lonBits = LongitudeBits(precision);
        Write(Index(latitude + 90, 180, latBits), Index(longitude + 180, 360, lonBits), destination);
    }

    /// <summary>The cell of a geohash: centre, error (half-sizes) and bounds.</summary>
    /// <exception cref="ArgumentException">Empty, longer than 12 characters, or a character outside the alphabet.</exception>
    public static GeohashCell Decode(string geohash) =>
        TryDecode(geohash, out var cell) ? cell : throw new ArgumentException($"not a geohash: \"{geohash}\"", nameof(geohash));

    /// <summary>Decodes a geohash; false when it is empty, longer than 12 characters or has a character outside the alphabet.</summary>
    public static bool TryDecode(ReadOnlySpan<char> geohash, out GeohashCell cell)
    {
        cell = default;
        if (!TryIndices(geohash, out var latIndex, out var lonIndex)) return false;
        var latHeight = 180.0 / (1L << LatitudeBits(geohash.Length));
        var lonWidth = 360.0 / (1L << LongitudeBits(geohash.Length));
        cell = new GeohashCell(-90 + (latIndex + 0.5) * latHeight, -180 + (lonIndex + 0.5) * lonWidth, latHeight / 2, lonWidth / 2);
        return true;
    }

    /// <summary>The bounds of a geohash's cell.</summary>
    public static GeoBox Bounds(string geohash) => Decode(geohash).Bounds;

    /// <summary>The neighbour of a cell <paramref name="north"/> rows up (negative: down) and <paramref name="east"/>
    /// columns right (negative: left), of the same precision. Longitude wraps across the ±180 meridian; beyond a pole
    /// there is no cell and the answer is null.</summary>
    public static string? Neighbor(string geohash, int north, int east)
    {
        if (!TryIndices(geohash, out var latIndex, out var lonIndex)) throw new ArgumentException($"not a geohash: \"{geohash}\"", nameof(geohash));
        var precision = geohash.Length;
        var rows = 1L << LatitudeBits(precision);
        var columns = 1L << LongitudeBits(precision);
        var lat = latIndex + north;
        if (lat < 0 || lat >= rows) return null;
        var lon = ((lonIndex + east) % columns + columns) % columns;
        Span<char> buffer = stackalloc char[MaxPrecision];
        Write(lat, lon, buffer[..precision]);
        return new string(buffer[..precision]);
    }

    /// <summary>The neighbours of a cell in the order N, NE, E, SE, S, SW, W, NW: eight, or five for a cell on the
    /// northern or southern edge (nothing lies beyond a pole). Across the ±180 meridian they wrap.</summary>
    public static IReadOnlyList<string> Neighbors(string geohash)
    {
        ReadOnlySpan<(int N, int E)> steps = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)];
        var list = new List<string>(8);
        foreach (var (n, e) in steps)
            if (Neighbor(geohash, n, e) is { } h) list.Add(h);
        return list;
    }

    /// <summary>Great-circle distance in km between two points (haversine on a sphere of <see cref="EarthRadiusKm"/>;
    /// within about 0.5% of the ellipsoidal distance).</summary>
    public static double Distance(double latitude1, double longitude1, double latitude2, double longitude2)
    {
        var dLat = DegreesToRadians(latitude2 - latitude1);
        var dLon = DegreesToRadians(longitude2 - longitude1);
        var s1 = Math.Sin(dLat / 2);
        var s2 = Math.Sin(dLon / 2);
        var a = s1 * s1 + Math.Cos(DegreesToRadians(latitude1)) * Math.Cos(DegreesToRadians(latitude2)) * s2 * s2;
        return 2 * EarthRadiusKm * Math.Asin(Math.Sqrt(Math.Min(1, a)));
    }

    /// <summary>Great-circle distance in km between two points.</summary>
    public static double Distance(GeoPoint a, GeoPoint b) => Distance(a.Latitude, a.Longitude, b.Latitude, b.Longitude);

    /// <summary>Height in km of a cell of <paramref name="precision"/> characters (the same at every latitude):
    /// 1: 5004, 2: 625.5, 3: 156.4, 4: 19.55, 5: 4.887, 6: 0.611, 7: 0.153, 8: 0.0191, 9: 0.00477 ... km.</summary>
    public static double CellHeightKm(int precision)
    {
        CheckPrecision(precision);
        return 180.0 / (1L << LatitudeBits(precision)) * KmPerDegree;
    }

    /// <summary>Width in km of a cell of <paramref name="precision"/> characters at a latitude (it shrinks towards the
    /// poles): at the equator 1: 5004, 2: 1251, 3: 156.4, 4: 39.1, 5: 4.887, 6: 1.222, 7: 0.153 ... km.</summary>
    public static double CellWidthKm(int precision, double latitude = 0)
    {
        CheckPrecision(precision);
        return 360.0 / (1L << LongitudeBits(precision)) * KmPerDegree * Math.Cos(DegreesToRadians(latitude));
    }

    /// <summary>The precision for a smallest location cell of <paramref name="minDistanceKm"/>: the longest geohash
    /// whose cell height (its smaller side at the equator) is still at least that distance, so a point and anything
    /// within that distance lie in the same or an adjacent cell. 5 km -> 4 characters (19.6 km x 39.1 km cells),
    /// 1 km -> 5, 0.5 km -> 6, 20 km -> 3; anything over 5004 km -> 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a positive finite number.</exception>
    public static int PrecisionFor(double minDistanceKm)
    {
        if (!double.IsFinite(minDistanceKm) || minDistanceKm <= 0) throw new ArgumentOutOfRangeException(nameof(minDistanceKm), minDistanceKm, "the distance must be a positive number of km");
        for (var p = MaxPrecision; p > 1; p--)
            if (CellHeightKm(p) >= minDistanceKm) return p;
        return 1;
    }

    /// <summary>The box around a point that holds every point within <paramref name="distanceKm"/> of it: latitude
    /// ± the angular distance, longitude ± the longitude of the tangent meridians. When the circle reaches a pole the
    /// box spans every longitude up to that pole; across the ±180 meridian its <see cref="GeoBox.MinLongitude"/> is
    /// greater than its <see cref="GeoBox.MaxLongitude"/>.</summary>
    public static GeoBox BoundingBox(double latitude, double longitude, double distanceKm)
    {
        if (!GeoPoint.IsLatitude(latitude)) throw new ArgumentOutOfRangeException(nameof(latitude), latitude, "latitude must be within -90..90");
        if (!GeoPoint.IsLongitude(longitude)) throw new ArgumentOutOfRangeException(nameof(longitude), longitude, "longitude must be within -180..180");
        if (!double.IsFinite(distanceKm) || distanceKm < 0) throw new ArgumentOutOfRangeException(nameof(distanceKm), distanceKm, "the distance must not be negative");
        var angle = distanceKm / EarthRadiusKm;
        var dLat = angle * 180 / Math.PI;
        var minLat = latitude - dLat;
        var maxLat = latitude + dLat;
        if (minLat <= -90 || maxLat >= 90 || angle >= Math.PI / 2)
            return new GeoBox(Math.Max(-90, minLat), -180, Math.Min(90, maxLat), 180);
        var ratio = Math.Sin(angle) / Math.Cos(DegreesToRadians(latitude));
        if (ratio >= 1) return new GeoBox(minLat, -180, maxLat, 180);
        var dLon = Math.Asin(ratio) * 180 / Math.PI;
        var minLon = longitude - dLon;
        var maxLon = longitude + dLon;
        if (minLon < -180) minLon += 360;
        if (maxLon > 180) maxLon -= 360;
        return new GeoBox(minLat, minLon, maxLat, maxLon);
    }

    /// <summary>Every cell of <paramref name="precision"/> characters that overlaps the box, row by row from the south
    /// and west to east (across the ±180 meridian for such a box); null when there would be more than
    /// <paramref name="maxCells"/>.</summary>
    public static List<string>? Cover(GeoBox box, int precision, int maxCells)
    {
        CheckPrecision(precision);
        var latBits = LatitudeBits(precision);
        var lonBits = LongitudeBits(precision);
        var columns = 1L << lonBits;
        var south = Index(Math.Clamp(box.MinLatitude, -90, 90) + 90, 180, latBits);
        var north = Index(Math.Clamp(box.MaxLatitude, -90, 90) + 90, 180, latBits);
        var west = Index(Math.Clamp(box.MinLongitude, -180, 180) + 180, 360, lonBits);
        var east = Index(Math.Clamp(box.MaxLongitude, -180, 180) + 180, 360, lonBits);
        var width = box.CrossesAntimeridian ? columns - west + east + 1 : east - west + 1;
        width = Math.Min(width, columns);
        var count = (north - south + 1) * width;
        if (count > maxCells) return null;
        var cells = new List<string>((int)count);
        Span<char> buffer = stackalloc char[MaxPrecision];
        for (var lat = south; lat <= north; lat++)
        {
            for (var i = 0L; i < width; i++)
            {
                Write(lat, (west + i) % columns, buffer[..precision]);
                cells.Add(new string(buffer[..precision]));
            }
        }
        return cells;
    }

    private static double DegreesToRadians(double degrees) => degrees * (Math.PI / 180);

    private static void CheckPrecision(int precision)
    {
        if (precision is < 1 or > MaxPrecision) throw new ArgumentOutOfRangeException(nameof(precision), precision, $"precision must be within 1..{MaxPrecision}");
    }

    /// <summary>The cell index of an offset (0..span) on an axis of 2^bits cells; the far edge belongs to the last cell.</summary>
    private static long Index(double offset, double span, int bits)
    {
        var cells = 1L << bits;
        var index = (long)Math.Floor(offset / span * cells);
        return Math.Clamp(index, 0, cells - 1);
    }

    /// <summary>Interleaves the indices (longitude bit first) into characters, most significant first.</summary>
    private static void Write(long latIndex, long lonIndex, Span<char> destination)
    {
        var latBit = LatitudeBits(destination.Length) - 1;
        var lonBit = LongitudeBits(destination.Length) - 1;
        var even = true;
        for (var c = 0; c < destination.Length; c++)
        {
            var value = 0;
            for (var b = 0; b < 5; b++)
            {
                var bit = even ? (lonIndex >> lonBit--) & 1 : (latIndex >> latBit--) & 1;
                value = (value << 1) | (int)bit;
                even = !even;
            }
            destination[c] = Alphabet[value];
        }
    }

    /// <summary>De-interleaves a geohash into its cell indices; false for an invalid one.</summary>
    private static bool TryIndices(ReadOnlySpan<char> geohash, out long latIndex, out long lonIndex)
    {
        latIndex = 0;
        lonIndex = 0;
        if (geohash.Length is 0 or > MaxPrecision) return false;
        var even = true;
        foreach (var ch in geohash)
        {
            var value = ch < 128 ? Values[ch] : -1;
            if (value < 0) return false;
            for (var b = 4; b >= 0; b--)
            {
                var bit = (value >> b) & 1;
                if (even) lonIndex = (lonIndex << 1) | (uint)bit;
                else latIndex = (latIndex << 1) | (uint)bit;
                even = !even;
            }
        }
        return true;
    }
}
