using System.Text.Json;
using Backend.Security;

namespace Backend.Tests.Security;

/// <summary>One entry of data/signature-vectors.json (computed by the original 2014 browser client).</summary>
internal sealed record SignatureVector(
    string Id,
    int? Sigversion,
    string Login,
    string Secret,
    string? Method,
    string? Host,
    string? Path,
    string? Query,
    string? SortedQuery,
    long? Expires,
    string? ContentType,
    string? Checksum,
    string? Body,
    string? StringToSign,
    string? Signature,
    string? Header,
    bool? VerifiesOn2014Server,
    string? Note)
{
    /// <summary>
    /// The request as our server sees it: a form POST carries the vector's query as its body (with no URL
    /// query), anything else carries it as the URL query.
    /// </summary>
    public SigningRequest ToRequest() =>
        IsForm
            ? SigningRequest.From(Method!, Host!, Path!, "", ContentType, Query, Checksum!)
            : SigningRequest.From(Method!, Host!, Path!, Query!, ContentType, null, Checksum!);

    public bool IsForm => ContentType!.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal);
}

internal static class SignatureVectors
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    private static readonly Lazy<IReadOnlyList<SignatureVector>> All = new(Load);

    /// <summary>
    /// Vectors that describe a signed request. The "scramble" entry carries only a login and secret
    /// (every expected value is null), so there is nothing to check it against.
    /// </summary>
    public static IEnumerable<SignatureVector> Signed => All.Value.Where(v => v.StringToSign is not null);

    public static SignatureVector Get(string id) => All.Value.Single(v => v.Id == id);

    public static TheoryData<string> SignedIds() => new(Signed.Select(v => v.Id));

    private static List<SignatureVector> Load()
    {
        var path = System.IO.Path.Combine(AppContext.BaseDirectory, "data", "signature-vectors.json");
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("vectors").Deserialize<List<SignatureVector>>(Options)
            ?? throw new InvalidDataException("no vectors in " + path);
    }
}
