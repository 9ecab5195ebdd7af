using System.Diagnostics;
using System.Globalization;
using Backend.Api.Locations;
using Backend.Data;
using Backend.Geo;

namespace Backend.Bench.Social;

/// <summary>Times <see cref="LocationSearch.PageAsync"/> (the first page of 50, as run.sh asks) and the complete
/// <see cref="LocationSearch.FindAsync"/> on the seeded data without HTTP, one call at a time, for the 16 centres
/// run.sh uses: what one <c>/location/get</c> costs below the HTTP layer.</summary>
public static class Probe
{
    /// <summary>Runs the probe and prints one line per radius.</summary>
    public static async Task RunAsync(Db db, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(log);
        var lat = double.Parse(Environment.GetEnvironmentVariable("BENCH_LAT") ?? "34.0", CultureInfo.InvariantCulture);
        var lon = double.Parse(Environment.GetEnvironmentVariable("BENCH_LON") ?? "-118.3", CultureInfo.InvariantCulture);
        var spread = double.Parse(Environment.GetEnvironmentVariable("BENCH_SPREAD") ?? "4", CultureInfo.InvariantCulture);
        var centres = new List<(double, double)>();
        for (var i = 0; i < 4; i++)
            for (var j = 0; j < 4; j++) centres.Add((lat + spread * (i / 3.0 - 0.5) / 2, lon + spread * (j / 3.0 - 0.5) / 2));
        foreach (var km in new[] { 5.0, 20.0 })
        {
            var found = 0L;
            var cells = 0L;
            for (var warm = 0; warm < 400; warm++) await LocationSearch.PageAsync(db, 4, 1, centres[warm % 16].Item1, centres[warm % 16].Item2, Math.Min(km, 5), 5, null, null, 50, default);
            const int calls = 160;
            var watch = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var n = 0; n < calls; n++)
            {
                var (clat, clon) = centres[n % centres.Count];
                found += (await LocationSearch.PageAsync(db, 4, 1, clat, clon, km, 5, null, null, 50, default)).Page.Count;
            }
            var pageCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var pageWall = watch.Elapsed;
            var all = 0L;
            watch.Restart();
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var n = 0; n < calls; n++)
            {
                var (clat, clon) = centres[n % centres.Count];
                all += (await LocationSearch.FindAsync(db, 4, 1, clat, clon, km, null, default)).Count;
                cells += GeoCover.For(clat, clon, km, 4, LocationSearch.MaxCells).Cells.Count;
            }
            var allCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"probe {km} km: first page of 50: {pageWall.TotalMilliseconds * 1000 / calls:F0} us wall, {pageCpu.TotalMilliseconds * 1000 / calls:F0} us CPU, {(double)found / calls:F0} rows; " +
                $"all matches: {watch.Elapsed.TotalMilliseconds * 1000 / calls:F0} us wall, {allCpu.TotalMilliseconds * 1000 / calls:F0} us CPU, {(double)all / calls:F0} accounts, {(double)cells / calls:F1} cells"));
        }

        // What /location/get adds for a page of 50: one List of the accounts' id and alias.
        var page = (await LocationSearch.PageAsync(db, 4, 1, centres[5].Item1, centres[5].Item2, 20, 5, null, null, 50, default)).Page;
        var keys = page.Select(m => (object)new DbRow { ["id"] = m.Id }).ToList();
        var select = new DbOptions { Select = ["id", "alias"] };
        for (var warm = 0; warm < 400; warm++) await db.ListAsync("bk_account", keys, select);
        var w = Stopwatch.StartNew();
        var c = Process.GetCurrentProcess().TotalProcessorTime;
        for (var n = 0; n < 160; n++) await db.ListAsync("bk_account", keys, select);
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"probe List of {keys.Count} accounts (id, alias): {w.Elapsed.TotalMilliseconds * 1000 / 160:F0} us wall, {(Process.GetCurrentProcess().TotalProcessorTime - c).TotalMilliseconds * 1000 / 160:F0} us CPU"));
    }
}
