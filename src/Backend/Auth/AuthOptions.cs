using Microsoft.Extensions.Configuration;

namespace Backend.Auth;

/// <summary>The signature check and cookie sessions: <c>-api-signature-max-age</c>, <c>-api-require-checksum</c>,
/// <c>-api-no-session</c>, <c>-api-session-age</c>, <c>-api-session-max</c>, <c>-api-session-max-per-account</c>.
/// Bound from the parameter registry (docs/configuration.md has the defaults and bounds).</summary>
internal sealed class AuthOptions
{
    /// <summary>How far ahead a signature's expires may lie, in milliseconds (406 beyond it).</summary>
    [ConfigurationKeyName("api-signature-max-age")]
    public long SignatureMaxAgeMs { get; set; } = 604_800_000;

    /// <summary>JSON and multipart bodies must carry their checksum in the signature.</summary>
    [ConfigurationKeyName("api-require-checksum")]
    public bool RequireChecksum { get; set; }

    /// <summary>Cookie sessions are neither started nor accepted.</summary>
    [ConfigurationKeyName("api-no-session")]
    public bool NoSession { get; set; }

    /// <summary>Lifetime of a cookie session in milliseconds.</summary>
    [ConfigurationKeyName("api-session-age")]
    public long SessionAgeMs { get; set; } = 2_592_000_000;

    /// <summary>Most cookie sessions kept in memory.</summary>
    [ConfigurationKeyName("api-session-max")]
    public int SessionMax { get; set; } = 100_000;

    /// <summary>Most cookie sessions of one account.</summary>
    [ConfigurationKeyName("api-session-max-per-account")]
    public int SessionMaxPerAccount { get; set; } = 100;
}

/// <summary>The path rules: <c>-api-allow</c> (null: the built-in public paths), <c>-api-allow-path</c>,
/// <c>-api-disallow-path</c>, <c>-api-deny</c>, <c>-api-deny-path</c>, <c>-api-allow-admin</c>, and <c>-api-unsecure</c>
/// (endpoints allowed unsafe operations).</summary>
internal sealed class AccessOptions
{
    /// <summary>Replaces the built-in public paths when set.</summary>
    [ConfigurationKeyName("api-allow")]
    public IList<string>? Allow { get; set; }

    /// <summary>Added to the public paths.</summary>
    [ConfigurationKeyName("api-allow-path")]
    public IList<string> AllowPath { get; set; } = [];

    /// <summary>Removed from the public paths.</summary>
    [ConfigurationKeyName("api-disallow-path")]
    public IList<string> DisallowPath { get; set; } = [];

    /// <summary>Refused to everybody.</summary>
    [ConfigurationKeyName("api-deny")]
    public IList<string> Deny { get; set; } = [];

    /// <summary>Added to the deny list.</summary>
    [ConfigurationKeyName("api-deny-path")]
    public IList<string> DenyPath { get; set; } = [];

    /// <summary>Only admins may call these.</summary>
    [ConfigurationKeyName("api-allow-admin")]
    public IList<string> AllowAdmin { get; set; } = [];

    /// <summary>Endpoints allowed unsafe operations, e.g. <c>data</c>.</summary>
    [ConfigurationKeyName("api-unsecure")]
    public IList<string> Unsecure { get; set; } = [];
}
