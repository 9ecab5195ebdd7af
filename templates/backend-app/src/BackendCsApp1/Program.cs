// BackendCsApp1: a Backend.cs API server with one table and two endpoints of its own, next to the built-in ones
// (/account/*, /data/*, ...). Run it from the app folder, whose etc/config it reads: dotnet run --project src/BackendCsApp1 -- -home .
using Backend.Data;
using Backend.Hosting;
using Backend.Http;

// The command line parameters are bkcs's (-home, -port, -db-pool, -watch, ...; bkcs help config lists them).
var builder = BackendApplicationBuilder.CreateBuilder(args);

// The data model: created at start-up when missing; a column added here later is added to the table at the next start.
builder.Tables.Add("test", t => t
    .Column("id", ColumnType.Int, primary: true, pub: true)
    .Column("name", pub: true)
    .Column("mtime", ColumnType.BigInt, now: true));

await using var app = builder.Build();

// /test/add?id=1&name=first: stores a row (a second call with the same id replaces it) and returns it as stored.
app.MapMethods("/test/add", ["GET", "POST"], async (HttpContext context, Db db, CancellationToken ct) =>
{
    var api = context.Api();
    var id = ParseId(api.Require("id"));
    await db.PutAsync("test", new { id, name = api.Require("name") }, ct);
    return await db.GetAsync("test", new { id }, ct);
});

// /test/1: the row with that id, or 404.
app.MapGet("/test/{id:int}", async (int id, Db db, CancellationToken ct) =>
    await db.GetAsync("test", new { id }, ct) ?? throw ApiException.NotFound("no such test row"));

await app.RunAsync();

// A bad id is the client's mistake: a 400 with a message, not a 500.
static int ParseId(string value) =>
    int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
        ? id
        : throw ApiException.BadRequest("id must be a number");

/// <summary>Names this program for the tests: <c>WebApplicationFactory&lt;Program&gt;</c> runs it in memory.</summary>
public partial class Program;
