namespace Backend.Geo;

/// <summary>A latitude/longitude rectangle in degrees. <see cref="MinLongitude"/> greater than
/// <see cref="MaxLongitude"/> means the box crosses the ±180 meridian (it covers Min..180 and -180..Max).</summary>
/// <param name="MinLatitude">Southern edge.</param>
/// <param name="MinLongitude">Western edge.</param>
/// <param name="MaxLatitude">Northern edge.</param>
/// <param name="MaxLongitude">Eastern edge.</param>
internal readonly record struct GeoBox(double MinLatitude, double MinLongitude, double MaxLatitude, double MaxLongitude)
{
    /// <summary>True when the box crosses the ±180 meridian.</summary>
    public bool CrossesAntimeridian => MinLongitude > MaxLongitude;

    /// <summary>The centre (for a box across the ±180 meridian, on the meridian side of it).</summary>
    public GeoPoint Center
    {
        get
        {
            var lon = CrossesAntimeridian ? (MinLongitude + MaxLongitude + 360) / 2 : (MinLongitude + MaxLongitude) / 2;
            if (lon > 180) lon -= 360;
            return new GeoPoint((MinLatitude + MaxLatitude) / 2, lon);
        }
    }

    /// <summary>True when the point lies in the box (edges included).</summary>
    public bool Contains(double latitude, double longitude) =>
        latitude >= MinLatitude && latitude <= MaxLatitude &&
        (CrossesAntimeridian ? longitude >= MinLongitude || longitude <= MaxLongitude : longitude >= MinLongitude && longitude <= MaxLongitude);
}
