using Backend.Data;

namespace Backend.Api.Locations;

/// <summary><c>bk_location</c>: one row per located account, keyed by the geohash of its cell (of the length
/// <c>-min-distance</c> gives: 4 characters for 5 km) and then the account id, so the rows of one cell are one
/// primary-key range on every driver (a hash-key Query on DynamoDB, a key prefix range on Redis and SQL), and an index
/// on (geohash, latitude, longitude, id) narrows that range to the latitudes searched.</summary>
internal static class LocationTables
{
    /// <summary>The table name.</summary>
    public const string Location = "bk_location";

    /// <summary>Describes the table.</summary>
    public static void Describe(TableRegistry tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        tables.Add(Location, t => t
            .Column("geohash", primary: true, index: 1, maxLength: 32)
            // Index 1 is (geohash, latitude, longitude, id): a search reads only the latitude band of a cell its circle
            // overlaps, and on SQL straight from the index (it covers the columns read). DynamoDB does not create it
            // (it is led by the hash key, so the table is queried); Redis reads it as a range.
            .Column("latitude", ColumnType.Real, index: 1)
            .Column("longitude", ColumnType.Real, index: 1)
            .Column("id", primary: true, index: 1, maxLength: 128)
            .Column("mtime", ColumnType.BigInt, now: true));
    }
}
