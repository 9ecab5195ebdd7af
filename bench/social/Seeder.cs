using System.Diagnostics;
using System.Globalization;
using Backend.Data;
using Backend.Geo;

namespace Backend.Bench.Social;

/// <summary>Writes the bench data through the <see cref="Db"/> facade (not HTTP: 100,000 signed requests would take
/// longer than the benchmark), in batches of one transaction each:
/// <list type="bullet">
/// <item>the caller: <c>bk_auth</c> login <c>bench</c> / secret <c>bench</c>, id <c>bench-caller</c>, located at the
/// centre;</item>
/// <item><c>BENCH_ACCOUNTS</c> (100,000) accounts <c>bsa-NNNNNN</c> spread uniformly over a square of
/// <c>BENCH_SPREAD</c> (4) degrees around <c>BENCH_LAT</c>,<c>BENCH_LON</c> (34.0,-118.3): a <c>bk_account</c> row
/// (alias and coordinates) and a <c>bk_location</c> row each, as <c>/location/put</c> writes them;</item>
/// <item>when the build has the connections module (<c>bk_connection</c> described), <c>BENCH_CONNECTIONS</c>
/// (10,000) <c>like</c> connections of the caller: <c>{id: bench-caller, type: "like:bsa-NNNNNN", mtime}</c>.</item>
/// </list>
/// A marker row records what was seeded, so a database kept between runs (PostgreSQL) is seeded once.</summary>
public sealed class Seeder(Db db, TextWriter log)
{
    /// <summary>The caller's id.</summary>
    public const string CallerId = "bench-caller";

    private const int BatchRows = 500;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    private static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    /// <summary>Seeds what is missing.</summary>
    public async Task RunAsync()
    {
        var accounts = Setting("BENCH_ACCOUNTS", 100_000);
        var connections = Setting("BENCH_CONNECTIONS", 10_000);
        var lat = Setting("BENCH_LAT", 34.0);
        var lon = Setting("BENCH_LON", -118.3);
        var spread = Setting("BENCH_SPREAD", 4.0);
        var precision = Geohash.PrecisionFor(Setting("BENCH_MIN_DISTANCE", 5.0));

        await db.PutAsync("bk_auth", new DbRow { ["login"] = "bench", ["secret"] = "bench", ["id"] = CallerId });
        await db.PutAsync("bk_account", Account(CallerId, "Bench", lat, lon, precision));
        await db.PutAsync("bk_location", Location(CallerId, lat, lon, precision));

        var marker = $"bench-social-locations-{accounts}-{lat.ToString(CultureInfo.InvariantCulture)}-{lon.ToString(CultureInfo.InvariantCulture)}-{spread.ToString(CultureInfo.InvariantCulture)}-{precision}";
        if (await db.GetAsync("bk_account", new DbRow { ["id"] = marker }) is null)
        {
            var watch = Stopwatch.StartNew();
            var random = new Random(42);
            var batch = new List<DbBatchItem>(BatchRows * 2);
            for (var i = 1; i <= accounts; i++)
            {
                var id = Id(i);
                var plat = lat + (random.NextDouble() - 0.5) * spread;
                var plon = lon + (random.NextDouble() - 0.5) * spread;
                batch.Add(new DbBatchItem(DbOperation.Put, "bk_account", Account(id, "Bench " + i.ToString(CultureInfo.InvariantCulture), plat, plon, precision)));
                batch.Add(new DbBatchItem(DbOperation.Put, "bk_location", Location(id, plat, plon, precision)));
                if (batch.Count >= BatchRows * 2) await Flush(batch);
                if (i % 20_000 == 0) await log.WriteLineAsync($"  {i} accounts ({watch.Elapsed.TotalSeconds:F0} s)");
            }
            await Flush(batch);
            await db.PutAsync("bk_account", new DbRow { ["id"] = marker });
            await log.WriteLineAsync($"seeded {accounts} located accounts in {watch.Elapsed.TotalSeconds:F1} s");
        }
        else
        {
            await log.WriteLineAsync($"{accounts} located accounts already seeded ({marker})");
        }

        if (db.Tables.Get("bk_connection") is not { } connection || !connection.HasColumn("type"))
        {
            await log.WriteLineAsync("no bk_connection table in this build (connections module missing): connections not seeded");
            return;
        }
        var connMarker = $"bench-social-connections-{connections}";
        if (await db.GetAsync("bk_account", new DbRow { ["id"] = connMarker }) is null)
        {
            var watch = Stopwatch.StartNew();
            var batch = new List<DbBatchItem>(BatchRows);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (var i = 1; i <= connections; i++)
            {
                // The connections module's stored layout: id = owner, type = "TYPE:OTHER"; unknown columns are dropped.
                batch.Add(new DbBatchItem(DbOperation.Put, "bk_connection", new DbRow { ["id"] = CallerId, ["type"] = "like:" + Id(i), ["state"] = "", ["mtime"] = now - i }));
                if (batch.Count >= BatchRows) await Flush(batch);
            }
            await Flush(batch);
            await db.PutAsync("bk_account", new DbRow { ["id"] = connMarker });
            await log.WriteLineAsync($"seeded {connections} connections in {watch.Elapsed.TotalSeconds:F1} s");
        }
        else
        {
            await log.WriteLineAsync($"{connections} connections already seeded");
        }
    }

    private static string Id(int i) => "bsa-" + i.ToString("D6", CultureInfo.InvariantCulture);

    private static DbRow Account(string id, string alias, double lat, double lon, int precision) => new()
    {
        ["id"] = id,
        ["alias"] = alias,
        ["name"] = alias,
        ["latitude"] = lat,
        ["longitude"] = lon,
        ["geohash"] = Geohash.Encode(lat, lon, precision),
        ["ltime"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    };

    private static DbRow Location(string id, double lat, double lon, int precision) => new()
    {
        ["geohash"] = Geohash.Encode(lat, lon, precision),
        ["id"] = id,
        ["latitude"] = lat,
        ["longitude"] = lon,
    };

    private async Task Flush(List<DbBatchItem> batch)
    {
        if (batch.Count == 0) return;
        await db.BatchAsync(batch);
        batch.Clear();
    }
}
