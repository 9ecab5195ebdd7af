using Microsoft.Extensions.Configuration;

namespace Backend.Data;

/// <summary>The facade's read-through cache: <c>-db-cache-size</c>, <c>-db-cache-ttl</c>, <c>-db-caching</c>. Bound
/// from the parameter registry.</summary>
internal sealed class DbCacheOptions
{
    /// <summary>Rows kept.</summary>
    [ConfigurationKeyName("db-cache-size")]
    public long Size { get; set; } = 10_000;

    /// <summary>Milliseconds a cached row may be served.</summary>
    [ConfigurationKeyName("db-cache-ttl")]
    public long TtlMs { get; set; } = 5000;

    /// <summary>Tables cached besides <c>bk_auth</c>.</summary>
    [ConfigurationKeyName("db-caching")]
    public IList<string> Tables { get; set; } = [];
}
