namespace Backend.Geo;

/// <summary>A decoded geohash: its centre, the half-sizes of the cell (the error of the centre) and its bounds.</summary>
/// <param name="Latitude">Latitude of the centre.</param>
/// <param name="Longitude">Longitude of the centre.</param>
/// <param name="LatitudeError">Half the cell's height in degrees: the true latitude is within ± this of the centre.</param>
/// <param name="LongitudeError">Half the cell's width in degrees.</param>
internal readonly record struct GeohashCell(double Latitude, double Longitude, double LatitudeError, double LongitudeError)
{
    /// <summary>The cell's bounds.</summary>
    public GeoBox Bounds => new(Latitude - LatitudeError, Longitude - LongitudeError, Latitude + LatitudeError, Longitude + LongitudeError);

    /// <summary>The centre as a point.</summary>
    public GeoPoint Center => new(Latitude, Longitude);
}
