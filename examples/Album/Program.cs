// The reference's app.js, in C#: describe tables, add endpoints, register hooks, run with bkcs's parameters.
//   dotnet run --project examples/Album -- -home /tmp/album -api-port 8000
using Backend.Data;
using Backend.Hosting;
using Backend.Http;

var builder = BackendApplicationBuilder.CreateBuilder(args);

// Tables: created at start-up, upgraded when columns or indexes are added here later.
builder.Tables.Add("album", t => t
    .Column("id", primary: true, pub: true)
    .Column("name", pub: true)
    .Column("owner")
    .Column("mtime", ColumnType.BigInt, now: true));
builder.Tables.Add<Photo>();

// Extend a built-in table: a public column and a private one.
builder.Tables.Add("bk_account", t => t
    .Column("gender", pub: true)
    .Column("birthday"));

var app = builder.Build();

app.MapMethods("/test/add", ["GET", "POST"], async (HttpContext ctx, Db db, CancellationToken ct) =>
{
    var api = ctx.Api();
    await db.PutAsync("album", new { id = api.Require("id"), name = api.Require("name"), owner = api.RequireAccountId() }, ct);
    return await db.GetAsync("album", new { id = api.Require("id") }, ct);
});

app.MapGet("/test/{id:int}", async (int id, Db db, CancellationToken ct) =>
    await db.GetAsync("album", new { id = id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct)
        ?? throw ApiException.NotFound("no such album"));

app.MapMethods("/photo/add", ["GET", "POST"], async (HttpContext ctx, Db db, CancellationToken ct) =>
{
    var api = ctx.Api();
    await db.AddAsync("photo", api.Columns(), ct);
    return Results.Ok(await db.SelectAsync("photo", new { album_id = api.Require("album_id") }, ct));
});

// registerAccessCheck: /test/list answers without a signature, but only on Sundays... here: only with ?open=1.
app.Api.AccessCheck("GET", "^/test/list$", (ctx, status) =>
    ValueTask.FromResult<ApiStatus?>(ctx.Request.Query["open"] == "1" ? ApiStatus.Ok : new ApiStatus(403, "closed")));
app.MapGet("/test/list", async (Db db, CancellationToken ct) => await db.SelectAsync("album", null, ct));

// registerPreProcess: accounts with status "blocked" may not add albums.
app.Api.PreProcess("", "^/test/add$", (ctx, status) =>
    ValueTask.FromResult<ApiStatus?>(status is { IsOk: true } && ctx.Request.Query["name"] == "forbidden" ? new ApiStatus(403, "name not allowed") : null));

// registerPostProcess: add a property to every /account/get reply.
app.Api.PostProcess("", "^/account/get$", (ctx, data) =>
{
    if (data is DbRow row) row["greeting"] = "hello " + row.GetString("alias");
    return ValueTask.FromResult(data);
});

// db.setProcessRow: a computed property on every bk_account row.
app.Db.SetProcessRow("bk_account", (row, options, table) =>
{
    if (DateTime.TryParse(row.GetString("birthday"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var b))
        row["age"] = (int)((DateTime.UtcNow - b).TotalDays / 365.25);
});

await app.RunAsync();

/// <summary>A photo, described from a record: [Primary] columns form the key in order, [Pub] ones are public.</summary>
internal sealed record Photo(
    [property: Primary(1)] string AlbumId,
    [property: Primary(2)] string Id,
    [property: Pub, Index] string? Name,
    [property: DbColumn(Now = true)] long Mtime);

/// <summary>Names this app's assembly for in-memory tests: <c>new WebApplicationFactory&lt;AlbumApp&gt;()</c> runs the
/// program above with a test server instead of Kestrel.</summary>
#pragma warning disable CA1050 // top-level programs live in the global namespace; so does their marker
public sealed class AlbumApp;
#pragma warning restore CA1050
