using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backend.Bench.Push;

/// <summary>The bench's APNs: Kestrel on 127.0.0.1 (HTTP/2 only, TLS), checking every request as the test fake
/// (tests/Backend.Tests/Push/Apns/FakeApns.cs) does, except that a provider token's signature is verified once per
/// distinct token string. Prints <c>PORT n</c>, answers <c>count</c> on its stdin with the connections it accepted and the notifications it answered 200,
/// and exits when its stdin closes.</summary>
internal static class Fake
{
    private static ECDsa _publicKey = null!;
    private static string _keyId = "";
    private static string _teamId = "";
    private static string _topic = "";
    private static volatile string? _verified;
    private static long _connections;
    private static long _accepted;

    public static async Task<int> Run(string dir)
    {
        _publicKey = ECDsa.Create();
        _publicKey.ImportFromPem(File.ReadAllText(Path.Combine(dir, "public.pem")));
        var expect = File.ReadAllLines(Path.Combine(dir, "expect.txt"));
        (_keyId, _teamId, _topic) = (expect[0], expect[1], expect[2]);
        using var server = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dir, "server.p12"), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(next => connection =>
                {
                    Interlocked.Increment(ref _connections);
                    return next(connection);
                });
                listen.UseHttps(server);
            });
        });
        await using var app = builder.Build();
        app.Run(Handle);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine("PORT " + new Uri(address).Port.ToString(CultureInfo.InvariantCulture));
        Console.Out.Flush();
        // Driven over stdin: "count" prints the connections accepted so far; the end of input stops it.
        while (await Console.In.ReadLineAsync() is { } command)
        {
            if (command == "count")
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CONNECTIONS {Interlocked.Read(ref _connections)} ACCEPTED {Interlocked.Read(ref _accepted)}"));
                Console.Out.Flush();
            }
        }
        await app.StopAsync();
        return 0;
    }

    private static async Task Handle(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (request.Protocol != "HTTP/2" || request.Method != "POST" || !path.StartsWith("/3/device/", StringComparison.Ordinal) || path.Length < "/3/device/".Length + 64)
        {
            await Answer(context, 404, "BadPath");
            return;
        }
        var authorization = request.Headers.Authorization.ToString();
        if (!ReferenceEquals(authorization, _verified) && authorization != _verified)
        {
            if (!Verify(authorization))
            {
                await Answer(context, 403, "InvalidProviderToken");
                return;
            }
            _verified = authorization;
        }
        if (request.Headers["apns-topic"] != _topic)
        {
            await Answer(context, 400, "BadTopic");
            return;
        }
        var buffer = new byte[4097];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted)) > 0) length += read;
        if (length > 4096)
        {
            await Answer(context, 413, "PayloadTooLarge");
            return;
        }
        if (!HasAps(buffer.AsSpan(0, length)))
        {
            await Answer(context, 400, "PayloadEmpty");
            return;
        }
        Interlocked.Increment(ref _accepted);
        context.Response.StatusCode = 200;
    }

    private static bool HasAps(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAps = reader.ValueTextEquals("aps"u8);
                reader.Read();
                if (isAps) return reader.TokenType == JsonTokenType.StartObject;
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool Verify(string authorization)
    {
        if (!authorization.StartsWith("bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var parts = authorization["bearer ".Length..].Split('.');
        if (parts.Length != 3) return false;
        try
        {
            var signature = Base64Url.DecodeFromChars(parts[2]);
            if (signature.Length != 64 || !_publicKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256)) return false;
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var iat = claims.RootElement.GetProperty("iat").GetInt64();
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            return header.RootElement.GetProperty("alg").GetString() == "ES256"
                && header.RootElement.GetProperty("kid").GetString() == _keyId
                && claims.RootElement.GetProperty("iss").GetString() == _teamId
                && iat <= now + 60 && now - iat <= 3600;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private static Task Answer(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("{\"reason\":\"" + reason + "\"}");
    }
}
