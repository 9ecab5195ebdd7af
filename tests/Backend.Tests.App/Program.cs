// A Backend.cs server with endpoints only tests need, run by the tests as a process of its own
// (BackendServer.StartAsync(..., program: BackendServer.TestAppDll)): the parameters and pipeline of `bkcs run`, plus
//   GET /test/block?ms=N  holds its thread-pool thread for N ms (Thread.Sleep, at most 10 s), as a handler doing
//                         synchronous I/O would: what makes new requests wait for a thread (Http/Overload's busy check).
// The tests open /test/ with -api-allow-path ^/test/.
using System.Globalization;
using Backend.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

var builder = BackendApplicationBuilder.CreateBuilder(args)
    .AddPostgres()
    .AddMySql()
    .AddDynamoDb()
    .AddRedis()
    .AddLmdb()
    .AddMemcached()
    .AddRabbitMq()
    .AddNetMq()
    .AddS3();
await using var app = builder.Build();

app.MapGet("/test/block", (HttpContext context) =>
{
    var ms = int.TryParse(context.Request.Query["ms"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Math.Min(n, 10_000) : 100;
    Thread.Sleep(ms);
    return Results.Json(new { ms });
});

await app.RunAsync();
