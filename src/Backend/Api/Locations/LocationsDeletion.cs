using Backend.Api.Accounts;
using Backend.Data;
using Backend.Geo;

namespace Backend.Api.Locations;

/// <summary>On account deletion: removes the account's <c>bk_location</c> row so it no longer shows up in searches.
/// The row is keyed by cell, found from the account row's stored geohash and coordinates (the same cells
/// <c>/location/put</c> clears when an account moves).</summary>
internal sealed class LocationsDeletion(Db db, LocationSettings settings) : IAccountDeletionHandler
{
    public async Task DeleteAccountDataAsync(string accountId, DbRow? account, CancellationToken cancellationToken)
    {
        if (account is null) return;
        var cells = new HashSet<string>(StringComparer.Ordinal);
        if (account.GetString("geohash") is { Length: > 0 } stored) cells.Add(stored);
        if (DbValues.ToDouble(account.GetValueOrDefault("latitude")) is { } lat && DbValues.ToDouble(account.GetValueOrDefault("longitude")) is { } lon
            && GeoPoint.IsLatitude(lat) && GeoPoint.IsLongitude(lon))
            cells.Add(Geohash.Encode(lat, lon, settings.Precision));
        foreach (var cell in cells)
            await db.DelAsync(LocationTables.Location, new DbRow { ["geohash"] = cell, ["id"] = accountId }, cancellationToken);
    }
}
