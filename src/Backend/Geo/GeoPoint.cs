namespace Backend.Geo;

/// <summary>A point on the earth in degrees: latitude -90..90 (north positive), longitude -180..180 (east positive).</summary>
/// <param name="Latitude">Degrees north.</param>
/// <param name="Longitude">Degrees east.</param>
internal readonly record struct GeoPoint(double Latitude, double Longitude)
{
    /// <summary>True when both coordinates are finite numbers within their ranges.</summary>
    public bool IsValid => IsLatitude(Latitude) && IsLongitude(Longitude);

    /// <summary>True for a finite latitude within -90..90.</summary>
    public static bool IsLatitude(double value) => double.IsFinite(value) && value is >= -90 and <= 90;

    /// <summary>True for a finite longitude within -180..180.</summary>
    public static bool IsLongitude(double value) => double.IsFinite(value) && value is >= -180 and <= 180;
}
