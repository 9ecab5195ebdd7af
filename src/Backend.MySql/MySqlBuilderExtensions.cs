using Backend.MySql;

namespace Backend.Hosting;

/// <summary>Registers the MySQL/MariaDB driver.</summary>
public static class MySqlBuilderExtensions
{
    /// <summary>Adds the <c>mysql</c> driver kind: its pool is created when <c>-db-mysql-pool</c> is configured.</summary>
    public static BackendApplicationBuilder AddMySql(this BackendApplicationBuilder b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddDbDriver(new MySqlDriverFactory());
    }
}
