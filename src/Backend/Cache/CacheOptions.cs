using Microsoft.Extensions.Configuration;

namespace Backend.Cache;

/// <summary>The cache: <c>-cache-type</c> and <c>-lru-max</c>, bound from the parameter registry.</summary>
internal sealed class CacheOptions
{
    /// <summary>The kind of <see cref="ICache"/>: <c>local</c> (the default), or a kind a provider registered
    /// (<c>redis</c> with <c>AddRedis()</c>).</summary>
    [ConfigurationKeyName("cache-type")]
    public string Type { get; set; } = "local";

    /// <summary>Keys the local LRU keeps.</summary>
    [ConfigurationKeyName("lru-max")]
    public long LruMax { get; set; } = LocalCache.DefaultMax;
}
