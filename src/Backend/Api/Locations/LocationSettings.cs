using System.Globalization;
using Backend.Configuration;
using Backend.Geo;
using Microsoft.Extensions.Options;

namespace Backend.Api.Locations;

/// <summary>The location parameters, read once at start-up: <c>-min-distance</c> (km: the smallest cell, and the
/// smallest move <c>/location/put</c> records), <c>-max-distance</c> (km: the largest search radius) and
/// <c>-api-location-cloak</c> (km: the cell other accounts' positions are snapped to).</summary>
internal sealed class LocationSettings
{
    /// <summary>The settings of the bound <see cref="LocationOptions"/>.</summary>
    /// <exception cref="ConfigException">A distance that is not greater than 0.</exception>
    public LocationSettings(IOptions<LocationOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    private LocationSettings(LocationOptions options)
    {
        var min = options.MinDistance;
        var max = options.MaxDistance;
        // The registry accepts 0, but a 0 km cell has no geohash length and a 0 km radius finds nothing.
        if (!(min > 0)) throw new ConfigException($"invalid value for -min-distance: {min.ToString(CultureInfo.InvariantCulture)} (it must be greater than 0 km)");
        if (!(max > 0)) throw new ConfigException($"invalid value for -max-distance: {max.ToString(CultureInfo.InvariantCulture)} (it must be greater than 0 km)");
        Cloak = options.Cloak;
        MinDistance = min;
        MaxDistance = max;
        Precision = Geohash.PrecisionFor(min);
    }

    /// <summary><c>-min-distance</c> in km.</summary>
    public double MinDistance { get; }

    /// <summary><c>-api-location-cloak</c> in km: the cell others' positions are snapped to (0: off).</summary>
    public double Cloak { get; }

    /// <summary><c>-max-distance</c> in km.</summary>
    public double MaxDistance { get; }

    /// <summary>The geohash length of <c>bk_location</c> keys (5 km -> 4).</summary>
    public int Precision { get; }

    /// <summary><see cref="MinDistance"/> as the reference prints it (<c>5</c>, <c>2.5</c>).</summary>
    public string MinDistanceText => MinDistance.ToString(CultureInfo.InvariantCulture);

    /// <summary>Checks the options and derives the settings.</summary>
    /// <exception cref="ConfigException">A distance that is not greater than 0.</exception>
    public static LocationSettings From(LocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LocationSettings(options);
    }
}
