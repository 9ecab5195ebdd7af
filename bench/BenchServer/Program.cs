using System.Globalization;
using System.Runtime;
using Backend.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

// The Backend.cs server (same pipeline as `bkcs run-backend`: error handling, access checks, routing, /ping,
// /account/*) plus two endpoints of its own, opened with -api-allow-path so they need no signature:
//   GET /bench/bare   does nothing but write "{}": the baseline the other endpoints are compared with
//   GET /bench/stats  the runtime's counters (GC, allocations, thread pool, lock contention), read by run.sh
//                     before and after each timed run (there is no dotnet-counters on the bench machine)
var builder = BackendApplicationBuilder.CreateBuilder(args);
await using var app = builder.Build();

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
        $"\"workItems\":{ThreadPool.CompletedWorkItemCount},\"lockContentions\":{Monitor.LockContentionCount}," +
        $"\"serverGc\":{(GCSettings.IsServerGC ? "true" : "false")}}}");
    context.Response.ContentType = "application/json; charset=utf-8";
    return context.Response.WriteAsync(json);
});

await app.RunAsync();
