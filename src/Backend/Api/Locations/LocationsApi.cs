using Backend.Api.Accounts;
using Backend.Configuration;
using Backend.Data;
using Backend.Geo;
using Backend.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Backend.Api.Locations;

/// <summary>The locations endpoints: <c>/location/put</c> stores the caller's position in <c>bk_location</c> and its
/// <c>bk_account</c> row; <c>/location/get</c> lists the accounts within a radius, closest first, paged.</summary>
internal static class LocationsApi
{
    /// <summary>Registers the module's services; checks <c>-min-distance</c> and <c>-max-distance</c> now, so a bad
    /// value stops start-up.</summary>
    /// <exception cref="ConfigException">A distance that is not greater than 0.</exception>
    public static void AddServices(IServiceCollection services, BackendConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        services.AddBackendOptions<LocationOptions>(config);
        // Checked here as well as when the settings are built: a bad value stops start-up before anything runs.
        LocationSettings.From(config.Configuration.Get<LocationOptions>() ?? new LocationOptions());
        services.TryAddSingleton<LocationSettings>();
        services.AddSingleton<IAccountDeletionHandler, LocationsDeletion>();
        services.TryAddSingleton<LocationEndpoints>();
    }

    /// <summary>Maps the endpoints.</summary>
    public static IEndpointRouteBuilder MapLocationsApi(this IEndpointRouteBuilder routes)
    {
        var endpoints = routes.Handlers<LocationEndpoints>();
        routes.MapMethods("/location/put", ApiRoutes.Methods, endpoints.Put);
        routes.MapMethods("/location/get", ApiRoutes.Methods, endpoints.Get);
        return routes;
    }
}

/// <summary>The handlers of the location endpoints.</summary>
internal sealed class LocationEndpoints(Db db, ApiReply reply, LocationSettings settings, TimeProvider time)
{
    private static readonly string[] AliasColumns = ["id", "alias"];

    public async Task Put(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();
        var (lat, lon) = LocationParams.Coordinates(api) ?? throw ApiException.BadRequest("latitude and longitude are required");
        var account = await db.GetAsync(AccountTables.Account, new DbRow { ["id"] = me }, context.RequestAborted)
            ?? throw ApiException.NotFound("No account record found");
        var geohash = Geohash.Encode(lat, lon, settings.Precision);

        // The rows to delete: the cell of the stored point (and the stored geohash, should it differ, as after a
        // change of -min-distance), unless it is the new cell.
        var stale = new HashSet<string>(StringComparer.Ordinal);
        if (DbValues.ToDouble(account.GetValueOrDefault("latitude")) is { } oldLat && DbValues.ToDouble(account.GetValueOrDefault("longitude")) is { } oldLon
            && GeoPoint.IsLatitude(oldLat) && GeoPoint.IsLongitude(oldLon))
        {
            // The reference's rule: moves shorter than the smallest cell are not worth a write.
            if (Geohash.Distance(oldLat, oldLon, lat, lon) < settings.MinDistance)
                throw new ApiException(305, $"ignored, min distance: {settings.MinDistanceText}");
            stale.Add(Geohash.Encode(oldLat, oldLon, settings.Precision));
        }
        if (account.GetString("geohash") is { Length: > 0 } oldHash) stale.Add(oldHash);
        stale.Remove(geohash);

        var location = new DbRow { ["geohash"] = geohash, ["id"] = me, ["latitude"] = lat, ["longitude"] = lon };
        var update = new DbRow
        {
            ["id"] = me,
            ["latitude"] = lat,
            ["longitude"] = lon,
            ["geohash"] = geohash,
            ["ltime"] = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        if (api.Get("location") is { } text) update["location"] = text;

        // The writes are not cancelled half-way by a client that goes away: the rows must stay consistent.
        List<DbBatchItem> writes =
        [
            new(DbOperation.Put, LocationTables.Location, location),
            new(DbOperation.Update, AccountTables.Account, update),
            .. stale.Select(h => new DbBatchItem(DbOperation.Del, LocationTables.Location, new DbRow { ["geohash"] = h, ["id"] = me })),
        ];
        if (db.SharePool(LocationTables.Location, AccountTables.Account))
        {
            // One pool: one atomic batch (a transaction on SQL and Redis, TransactWriteItems on DynamoDB).
            await db.BatchAsync(writes, CancellationToken.None);
        }
        else
        {
            // New row first, old rows last: an interruption leaves a duplicate (searches keep the closest), never a gap.
            foreach (var w in writes)
            {
                switch (w.Operation)
                {
                    case DbOperation.Put: await db.PutAsync(w.Table, w.Row, CancellationToken.None); break;
                    case DbOperation.Update: await db.UpdateAsync(w.Table, w.Row, CancellationToken.None); break;
                    default: await db.DelAsync(w.Table, w.Row, CancellationToken.None); break;
                }
            }
        }
        var stored = await db.GetAsync(LocationTables.Location, new DbRow { ["geohash"] = geohash, ["id"] = me }, CancellationToken.None);
        await reply.Send(context, stored ?? location);
    }

    public async Task Get(HttpContext context)
    {
        var api = context.Api();
        var me = api.RequireAccountId();

        // Every parameter is checked before the first database call. No coordinates is a 400 (the original did not fall
        // back to the caller's stored location either).
        var point = LocationParams.Coordinates(api) ?? throw ApiException.BadRequest("latitude/longitude are required");
        var distance = LocationParams.Number(api, "distance") ?? Math.Min(settings.MinDistance, settings.MaxDistance);
        if (distance <= 0 || distance > settings.MaxDistance)
            throw ApiException.BadRequest($"distance must be greater than 0 and at most {settings.MaxDistance.ToString(System.Globalization.CultureInfo.InvariantCulture)} km");
        var count = api.Int("_count", ApiOptions.DefaultCount, 0, ApiOptions.MaxCount);
        var start = LocationParams.Start(api);
        var details = api.Flag("_details");

        var (page, more) = await LocationSearch.PageAsync(db, settings.Precision, settings.Cloak, point.Latitude, point.Longitude, distance,
            settings.MinDistance, me, start, count, context.RequestAborted);

        var rows = new List<DbRow>(page.Count);
        if (page.Count > 0)
        {
            var table = db.Table(AccountTables.Account);
            var options = details ? null : new DbOptions { Select = AliasColumns };
            var accounts = (await db.ListAsync(AccountTables.Account, page.Select(m => (object)new DbRow { ["id"] = m.Id }), options, context.RequestAborted)).Rows
                .ToDictionary(r => r.GetString("id")!, StringComparer.Ordinal);
            foreach (var m in page)
            {
                // A location left behind by a deleted account is skipped.
                if (!accounts.TryGetValue(m.Id, out var account)) continue;
                var row = details ? RowFilters.Public(table, account) : new DbRow { ["id"] = m.Id, ["alias"] = account.GetValueOrDefault("alias") };
                row["distance"] = m.Distance;
                rows.Add(row);
            }
        }
        await reply.Send(context, new DbResult { Rows = rows, NextToken = more ? LocationParams.Token(page[^1]) : "" });
    }
}
