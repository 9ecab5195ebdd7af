using System.Globalization;
using System.Runtime;
using Backend.Bench.Social;
using Backend.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

// Two modes on the same parameters as `bkcs run-backend` (home, pool, ...):
//   seed  ...   creates the tables and writes the bench data through the Db facade (see Seeder), then exits
//   serve ...   the Backend.cs server (the pipeline of `bkcs run-backend`, SQLite or PostgreSQL) plus, opened with
//               -api-allow-path, GET /bench/bare (writes "{}": the baseline) and GET /bench/stats (runtime counters),
//               as bench/BenchServer does
//   probe ...   times the location search itself (no HTTP) on the seeded data: the cost per request by radius
if (args.Length == 0 || args[0] is not ("seed" or "serve" or "probe"))
{
    await Console.Error.WriteLineAsync("usage: Backend.Bench.Social seed|serve|probe [bkcs parameters]");
    return 2;
}
var builder = BackendApplicationBuilder.CreateBuilder(args[1..]).AddPostgres();
await using var app = builder.Build();
if (args[0] == "seed")
{
    await app.Db.InitAsync();
    await new Seeder(app.Db, Console.Out).RunAsync();
    return 0;
}
if (args[0] == "probe")
{
    await app.Db.InitAsync();
    await Probe.RunAsync(app.Db, Console.Out);
    return 0;
}

var empty = "{}"u8.ToArray();
app.MapGet("/bench/bare", context =>
{
    context.Response.ContentType = "application/json; charset=utf-8";
    context.Response.ContentLength = empty.Length;
    return context.Response.Body.WriteAsync(empty).AsTask();
});
app.MapGet("/bench/stats", context =>
{
    var json = string.Create(CultureInfo.InvariantCulture,
        $"{{\"gen0\":{GC.CollectionCount(0)},\"gen1\":{GC.CollectionCount(1)},\"gen2\":{GC.CollectionCount(2)}," +
        $"\"gcPauseMs\":{(long)GC.GetTotalPauseDuration().TotalMilliseconds},\"allocatedBytes\":{GC.GetTotalAllocatedBytes()}," +
        $"\"heapBytes\":{GC.GetGCMemoryInfo().HeapSizeBytes},\"threads\":{ThreadPool.ThreadCount}," +
        $"\"lockContentions\":{Monitor.LockContentionCount},\"serverGc\":{(GCSettings.IsServerGC ? "true" : "false")}}}");
    context.Response.ContentType = "application/json; charset=utf-8";
    return context.Response.WriteAsync(json);
});
await app.RunAsync();
return 0;
