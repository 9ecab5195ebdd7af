using Backend.Geo;

namespace Backend.Tests.Geo;

/// <summary>Points for geo tests: destinations at a distance and bearing, and random centres for black-box tests
/// (external pools share one database across runs, so each test puts its accounts around its own random point).</summary>
public static class GeoTestPoints
{
    /// <summary>The point <paramref name="km"/> from a start along a bearing (spherical; the usual formula).</summary>
    public static (double Lat, double Lon) Destination(double lat, double lon, double bearingDegrees, double km)
    {
        var d = km / Geohash.EarthRadiusKm;
        var phi = lat * Math.PI / 180;
        var lambda = lon * Math.PI / 180;
        var theta = bearingDegrees * Math.PI / 180;
        var phi2 = Math.Asin(Math.Clamp(Math.Sin(phi) * Math.Cos(d) + Math.Cos(phi) * Math.Sin(d) * Math.Cos(theta), -1, 1));
        var lambda2 = lambda + Math.Atan2(Math.Sin(theta) * Math.Sin(d) * Math.Cos(phi), Math.Cos(d) - Math.Sin(phi) * Math.Sin(phi2));
        var outLon = (lambda2 * 180 / Math.PI + 540) % 360 - 180;
        return (Math.Clamp(phi2 * 180 / Math.PI, -90, 90), outLon);
    }

    /// <summary>A random point away from the poles and the ±180 meridian, different on every call and every run.</summary>
    public static (double Lat, double Lon) RandomCentre() =>
        (Random.Shared.NextDouble() * 120 - 60, Random.Shared.NextDouble() * 340 - 170);
}
