using System.Globalization;
using System.Text;
using Backend.Security;

namespace Backend.Cli;

/// <summary><c>bkcs sign</c>: prints the <c>bk-signature</c> value for a request, so curl (or any tool) can call a
/// signed endpoint: <c>curl -H "bk-signature: $(bkcs sign -login L -secret S URL)" URL</c>.</summary>
internal static class SignCommand
{
    public const string Usage = """
        usage: bkcs sign -login LOGIN -secret SECRET [-method GET|POST] [-form BODY | -json BODY]
                         [-version 1|3] [-expires SECONDS] [-url] URL
          prints the bk-signature header value for the request (or, with -url, the URL with the signature
          appended as the bk-signature query parameter). -form signs a form POST body, -json a JSON body
          (its SHA-1 goes into the checksum field). -expires: validity from now, default 3600 s.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? login = null, secret = null, url = null, form = null, json = null, method = null;
        var version = 1;
        long seconds = 3600;
        var asUrl = false;
        try
        {
            for (var i = 1; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"missing value for {args[i]}");
                switch (args[i])
                {
                    case "-login": login = Next(); break;
                    case "-secret": secret = Next(); break;
                    case "-method": method = Next().ToUpperInvariant(); break;
                    case "-form": form = Next(); break;
                    case "-json": json = Next(); break;
                    case "-version": version = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "-expires": seconds = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "-url": asUrl = true; break;
                    default:
                        if (args[i].StartsWith('-') || url is not null) throw new FormatException($"unexpected argument {args[i]}");
                        url = args[i];
                        break;
                }
            }
            if (login is null || secret is null || url is null) throw new FormatException("-login, -secret and URL are required");
            if (version is not (1 or 3)) throw new FormatException("-version must be 1 or 3");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw new FormatException($"not an absolute URL: {url}");
            method ??= form is null && json is null ? "GET" : "POST";
            var contentType = form is not null ? "application/x-www-form-urlencoded" : json is not null ? "application/json" : null;
            var checksum = json is null ? "" : RequestSignature.BodyChecksum(Encoding.UTF8.GetBytes(json));
            var request = SigningRequest.From(method, uri.Authority, uri.AbsolutePath, uri.Query.TrimStart('?'), contentType, form, checksum);
            var expires = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + seconds * 1000;
            var header = RequestSignature.CreateHeader(version, login, secret, request, expires);
            var sep = uri.Query.Length > 1 ? "&" : "?";
            await stdout.WriteLineAsync(asUrl ? url + sep + "bk-signature=" + Uri.EscapeDataString(header) : header);
            return 0;
        }
        catch (FormatException ex)
        {
            await stderr.WriteLineAsync("bkcs sign: " + ex.Message);
            await stderr.WriteLineAsync(Usage);
            return 2;
        }
        catch (OverflowException)
        {
            await stderr.WriteLineAsync("bkcs sign: number out of range");
            return 2;
        }
    }
}
