using System.Globalization;
using Backend.Data;
using Backend.Http;

namespace Backend.Api.Locations;

/// <summary>Reads the numeric parameters of the location endpoints: coordinates, distance and the paging token.</summary>
internal static class LocationParams
{
    private static readonly ColumnSchema[] TokenColumns =
    [
        new() { Name = "distance", Type = ColumnType.Real, Primary = 1 },
        new() { Name = "id", Type = ColumnType.Text, Primary = 2 },
    ];

    /// <summary>A number parameter, or null when missing; a 400 naming it when it is not a finite number.</summary>
    public static double? Number(ApiRequest api, string name)
    {
        if (api.Get(name) is not { } text) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw ApiException.BadRequest($"{name} must be a number");
    }

    /// <summary>latitude and longitude, both or neither (null); a 400 when only one is given or either is out of range.</summary>
    public static (double Latitude, double Longitude)? Coordinates(ApiRequest api)
    {
        var lat = Number(api, "latitude");
        var lon = Number(api, "longitude");
        if (lat is null && lon is null) return null;
        if (lat is null) throw ApiException.BadRequest("latitude is required");
        if (lon is null) throw ApiException.BadRequest("longitude is required");
        if (lat is < -90 or > 90) throw ApiException.BadRequest("latitude must be within -90..90");
        if (lon is < -180 or > 180) throw ApiException.BadRequest("longitude must be within -180..180");
        return (lat.Value, lon.Value);
    }

    /// <summary>The token of the last match of a page.</summary>
    public static string Token(LocationMatch last) => PagingToken.Encode([last.Distance, last.Id]);

    /// <summary>The match a token resumes after; a 400 for a token we did not make.</summary>
    public static LocationMatch? Start(ApiRequest api)
    {
        if ((api.Get("_start") ?? api.Get("_token")) is not { } token) return null;
        var values = PagingToken.Decode(token, TokenColumns);
        // Distances are never negative: a token carrying one was not made here (the search below refuses them).
        return values[0] is double d && double.IsFinite(d) && d >= 0 && values[1] is string { Length: > 0 } id
            ? new LocationMatch(d, id)
            : throw ApiException.BadRequest("invalid paging token");
    }
}
