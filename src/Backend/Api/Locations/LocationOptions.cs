using Microsoft.Extensions.Configuration;

namespace Backend.Api.Locations;

/// <summary>The locations module: <c>-min-distance</c>, <c>-max-distance</c>, <c>-api-location-cloak</c> (km). Bound
/// from the parameter registry; <see cref="LocationSettings"/> checks them and derives the geohash length.</summary>
internal sealed class LocationOptions
{
    /// <summary>Radius in km of the smallest location cell.</summary>
    [ConfigurationKeyName("min-distance")]
    public double MinDistance { get; set; } = 5;

    /// <summary>Largest search radius in km.</summary>
    [ConfigurationKeyName("max-distance")]
    public double MaxDistance { get; set; } = 50;

    /// <summary>Size in km of the cell others' positions are snapped to; 0 turns cloaking off.</summary>
    [ConfigurationKeyName("api-location-cloak")]
    public double Cloak { get; set; } = 1;
}
