using Backend.Postgres;

namespace Backend.Hosting;

/// <summary>Registers the PostgreSQL driver.</summary>
public static class PostgresBuilderExtensions
{
    /// <summary>Adds the <c>pgsql</c> driver kind: its pool is created when <c>-db-pgsql-pool</c> is configured.</summary>
    public static BackendApplicationBuilder AddPostgres(this BackendApplicationBuilder b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddDbDriver(new PostgresDriverFactory());
    }
}
