using System.Security.Cryptography;
using System.Text.Json;
using Backend.Configuration;

namespace Backend.Push.Fcm;

/// <summary>A Google service-account key file (<c>-fcm-key</c>) as the Firebase console gives it: the account's
/// e-mail, its RSA private key (PKCS#8 PEM) and key id, the OAuth2 token endpoint and the project.</summary>
internal sealed class FcmServiceAccount : IDisposable
{
    private FcmServiceAccount(string clientEmail, RSA key, string keyId, Uri tokenUri, string projectId)
    {
        ClientEmail = clientEmail;
        Key = key;
        KeyId = keyId;
        TokenUri = tokenUri;
        ProjectId = projectId;
    }

    /// <summary>The account (the JWT's <c>iss</c>).</summary>
    public string ClientEmail { get; }

    /// <summary>The RS256 signing key.</summary>
    public RSA Key { get; }

    /// <summary>The key's id (the JWT header's <c>kid</c>).</summary>
    public string KeyId { get; }

    /// <summary>The OAuth2 token endpoint (the JWT's <c>aud</c>).</summary>
    public Uri TokenUri { get; }

    /// <summary>The key's project (<c>project_id</c>), possibly empty.</summary>
    public string ProjectId { get; }

    /// <summary>Reads and checks the key file; any problem is a <see cref="ConfigException"/> naming <c>-fcm-key</c>.</summary>
    public static FcmServiceAccount Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw Invalid(path, ex.Message);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw Invalid(path, "not JSON: " + ex.Message);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Invalid(path, "not a JSON object");
            string Field(string name, bool required = true)
            {
                if (doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s) return s;
                return required ? throw Invalid(path, $"no \"{name}\" in it (a service-account key file from the Firebase console has one)") : "";
            }
            var email = Field("client_email");
            var pem = Field("private_key");
            var keyId = Field("private_key_id");
            var tokenUri = Field("token_uri");
            var project = Field("project_id", required: false);
            if (!Uri.TryCreate(tokenUri, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                throw Invalid(path, $"token_uri {tokenUri} is not an http(s) URL");
            var rsa = RSA.Create();
            try
            {
                rsa.ImportFromPem(pem);
                if (rsa.KeySize < 2048) throw Invalid(path, "the private_key is an RSA key of fewer than 2048 bits");
                // A public-only PEM imports too; signing needs the private part.
                rsa.ExportParameters(includePrivateParameters: true);
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                rsa.Dispose();
                throw Invalid(path, "the private_key is not an RSA private key in PEM (" + ex.Message + ")");
            }
            catch
            {
                rsa.Dispose();
                throw;
            }
            return new FcmServiceAccount(email, rsa, keyId, uri, project);
        }
    }

    private static ConfigException Invalid(string path, string why) => new($"invalid -fcm-key {path}: {why}");

    public void Dispose() => Key.Dispose();
}
