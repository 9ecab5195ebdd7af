using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Backend.Push.WebPush;

/// <summary>A browser's push subscription as a device token: the JSON of <c>PushSubscription.toJSON()</c>
/// (<c>{"endpoint":"https://...","keys":{"p256dh":"...","auth":"..."}}</c>), stored either as that JSON (it starts
/// with '{') or as its base64url. The keys are kept in unpadded base64url.</summary>
internal sealed record WebPushSubscription(Uri Endpoint, string P256dh, string Auth)
{
    /// <summary>Parses and checks a token: an absolute https endpoint (http only with <paramref name="allowPrivate"/>)
    /// whose host is not a loopback/private address literal nor <c>localhost</c> (unless
    /// <paramref name="allowPrivate"/>), a p256dh that is a 65-byte P-256 point and a 16-byte auth secret. Names that
    /// resolve to private addresses are refused when connecting (<see cref="WebPushSender"/>).</summary>
    public static WebPushSubscription? TryParse(string token, bool allowPrivate, out string? error)
    {
        error = null;
        var json = token?.Trim() ?? "";
        if (json.Length == 0)
        {
            error = "a Web Push subscription is the JSON of PushSubscription (or its base64url)";
            return null;
        }
        if (json[0] != '{')
        {
            if (TryDecode(json, out var raw) is false)
            {
                error = "a Web Push subscription is the JSON of PushSubscription or its base64url";
                return null;
            }
            json = Encoding.UTF8.GetString(raw);
        }
        string? endpoint, p256dh, auth;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            static string? Str(JsonElement el, string name) =>
                el.ValueKind == JsonValueKind.Object && el.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            endpoint = Str(root, "endpoint");
            var keys = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("keys", out var k) ? k : default;
            p256dh = keys.ValueKind == JsonValueKind.Object ? Str(keys, "p256dh") : null;
            auth = keys.ValueKind == JsonValueKind.Object ? Str(keys, "auth") : null;
        }
        catch (JsonException)
        {
            error = "a Web Push subscription is the JSON of PushSubscription: it does not parse";
            return null;
        }
        if (endpoint is null || p256dh is null || auth is null)
        {
            error = "a Web Push subscription has an endpoint and keys.p256dh and keys.auth";
            return null;
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || !(uri.Scheme == Uri.UriSchemeHttps || (allowPrivate && uri.Scheme == Uri.UriSchemeHttp)))
        {
            error = "a Web Push endpoint is an absolute https URL";
            return null;
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            error = "a Web Push endpoint has no user name or password";
            return null;
        }
        if (!allowPrivate && IsPrivateHost(uri))
        {
            error = "a Web Push endpoint on a loopback or private address is refused";
            return null;
        }
        if (!TryDecode(p256dh, out var point) || !IsP256Point(point))
        {
            error = "a Web Push subscription's keys.p256dh is a base64url P-256 public key (65 bytes)";
            return null;
        }
        if (!TryDecode(auth, out var secret) || secret.Length != 16)
        {
            error = "a Web Push subscription's keys.auth is a base64url 16-byte secret";
            return null;
        }
        return new WebPushSubscription(uri, Base64Url.EncodeToString(point), Base64Url.EncodeToString(secret));
    }

    /// <summary>True for <c>localhost</c> (and names under it) and for address literals that
    /// <see cref="IsPrivateAddress"/> refuses.</summary>
    public static bool IsPrivateHost(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
            return IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address) && IsPrivateAddress(address);
        var host = uri.IdnHost.TrimEnd('.');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Addresses a push endpoint may not be on: unspecified, loopback, private (10/8, 172.16/12, 192.168/16),
    /// shared (100.64/10), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), site-local (fec0::/10),
    /// multicast and broadcast; IPv4-mapped IPv6 addresses as their IPv4.</summary>
    public static bool IsPrivateAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] is 0 or 10 or 127 || b[0] >= 224
                || (b[0] == 100 && (b[1] & 0xC0) == 64)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 168);
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback)) return true;
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            return (b[0] & 0xFE) == 0xFC || b[0] == 0xFF || (b[0] == 0xFE && (b[1] & 0xC0) is 0x80 or 0xC0);
        }
        return true;
    }

    /// <summary>Decodes base64url, padded or not (some browsers and libraries pad).</summary>
    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        var trimmed = text.TrimEnd('=');
        if (trimmed.Length == 0) return false;
        foreach (var c in trimmed)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_')) return false;
        }
        try
        {
            bytes = Base64Url.DecodeFromChars(trimmed);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>True for an uncompressed point (0x04 X Y) on P-256.</summary>
    public static bool IsP256Point(byte[] point)
    {
        if (point is not { Length: 65 } || point[0] != 4) return false;
        try
        {
            using var ec = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33], Y = point[33..] },
            });
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
