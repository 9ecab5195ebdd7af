using Backend.Lmdb;

namespace Backend.Hosting;

/// <summary>Registers the LMDB driver on the builder.</summary>
public static class LmdbBuilderExtensions
{
    /// <summary>Adds the <c>lmdb</c> pool kind: the pool is created when <c>-db-lmdb-pool</c> is set (see
    /// <see cref="LmdbDriverFactory"/>).</summary>
    public static BackendApplicationBuilder AddLmdb(this BackendApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddDbDriver(new LmdbDriverFactory());
    }
}
