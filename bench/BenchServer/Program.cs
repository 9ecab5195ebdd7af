using Backend.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

// The Backend.cs server (same pipeline as `bkcs run-backend`: error handling, access checks, routing, /ping,
// /account/*) plus GET /bench/bare, an endpoint that does nothing but write "{}". It is the baseline the other
// endpoints are compared with; open it with -api-allow-path ^/bench/bare$ so it needs no signature.
var builder = BackendApplicationBuilder.CreateBuilder(args);
await using var app = builder.Build();
var empty = "{}"u8.ToArray();
app.MapGet("/bench/bare", context =>
{
    context.Response.ContentType = "application/json; charset=utf-8";
    context.Response.ContentLength = empty.Length;
    return context.Response.Body.WriteAsync(empty).AsTask();
});
await app.RunAsync();
