using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backend.Configuration;

namespace Backend.Push.Apns;

/// <summary>APNs token auth: the provider token (an ES256 JWT, header <c>{"alg":"ES256","kid":KEY_ID}</c>, claims
/// <c>{"iss":TEAM_ID,"iat":SECONDS}</c>) signed with the .p8 key of <c>-apn-key</c>. The token is made once and reused
/// by every send until it is <see cref="RenewAfter"/> old: Apple refuses a token older than an hour and a renewal more
/// often than every 20 minutes. The hot path is a volatile read and a clock read; signing happens under a lock, once
/// per renewal.</summary>
internal sealed class ApnsJwt : IDisposable
{
    /// <summary>Age at which a token is replaced (Apple: at least 20 minutes, at most 60).</summary>
    public static readonly TimeSpan RenewAfter = TimeSpan.FromMinutes(50);

    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly ECDsa _key;
    private readonly string _keyId;
    private readonly string _teamId;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private volatile Token? _current;

    private ApnsJwt(ECDsa key, string keyId, string teamId, TimeProvider time)
    {
        _key = key;
        _keyId = keyId;
        _teamId = teamId;
        _time = time;
    }

    /// <summary>Reads the P-256 key of <paramref name="keyFile"/> (PKCS#8 PEM, as Apple's .p8, or SEC1 PEM). A file
    /// that is missing, unreadable, not an EC key or on another curve, or an empty key id or team id, is a
    /// <see cref="ConfigException"/> naming the parameter.</summary>
    public static ApnsJwt Load(string keyFile, string keyId, string teamId, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(keyId)) throw new ConfigException("-apn-key-id is required with -apn-key (the 10-character key id of the .p8 key)");
        if (string.IsNullOrWhiteSpace(teamId)) throw new ConfigException("-apn-team-id is required with -apn-key (the team id of the Apple developer account)");
        string pem;
        try
        {
            pem = File.ReadAllText(keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigException($"invalid -apn-key {keyFile}: {ex.Message}", ex);
        }
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            var curve = key.ExportParameters(false).Curve;
            if (key.KeySize != 256 || (curve.Oid?.Value is { } oid && oid != P256Oid))
            {
                throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                    $"invalid -apn-key {keyFile}: an APNs key is an EC P-256 key (ES256), this one has {key.KeySize} bits ({curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "unnamed curve"})"));
            }
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new ConfigException($"invalid -apn-key {keyFile}: not an EC P-256 private key in PEM (PKCS#8, as Apple's .p8): {ex.Message}", ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
        return new ApnsJwt(key, keyId.Trim(), teamId.Trim(), time);
    }

    /// <summary>The <c>authorization</c> header value (<c>bearer JWT</c>) to send now: the cached one while it is
    /// younger than <see cref="RenewAfter"/>, else a new one.</summary>
    public string Authorization
    {
        get
        {
            var current = _current;
            var now = _time.GetUtcNow();
            if (current is not null && now - current.IssuedAt < RenewAfter && now >= current.IssuedAt) return current.Header;
            return Renew(current, now);
        }
    }

    /// <summary>Drops the token <paramref name="authorization"/> (APNs answered ExpiredProviderToken to it), so the
    /// next send makes a new one. Sends that were in flight with the same token drop it only once.</summary>
    public void Expire(string authorization)
    {
        lock (_lock)
        {
            if (_current is { } current && ReferenceEquals(current.Header, authorization)) _current = null;
        }
    }

    private string Renew(Token? seen, DateTimeOffset now)
    {
        lock (_lock)
        {
            var current = _current;
            if (current is not null && !ReferenceEquals(current, seen) && now - current.IssuedAt < RenewAfter && now >= current.IssuedAt) return current.Header;
            // iat is in whole seconds; the renewal age is measured from that, so a token is never older than it says.
            var issued = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
            var token = new Token("bearer " + Create(issued), issued);
            _current = token;
            return token.Header;
        }
    }

    private string Create(DateTimeOffset issued)
    {
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            "{\"alg\":\"ES256\",\"kid\":" + JsonString(_keyId) + "}"));
        var claims = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"iss\":{JsonString(_teamId)},\"iat\":{issued.ToUnixTimeSeconds()}}}")));
        var signingInput = header + "." + claims;
        // IEEE P1363 (r || s, 64 bytes) is what JWS ES256 asks for, and SignData's default format.
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private static string JsonString(string value) => "\"" + System.Text.Json.JsonEncodedText.Encode(value).ToString() + "\"";

    public void Dispose() => _key.Dispose();

    private sealed record Token(string Header, DateTimeOffset IssuedAt);
}
