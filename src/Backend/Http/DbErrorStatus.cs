using Backend.Data;

namespace Backend.Http;

/// <summary>The one place a database error's kind becomes an HTTP status.</summary>
internal static class DbErrorStatus
{
    /// <summary>The status a client sees for an error of this kind.</summary>
    public static int Of(DbErrorKind kind) => kind switch
    {
        DbErrorKind.BadInput => 400,
        DbErrorKind.NotFound => 404,
        DbErrorKind.Conflict => 409,
        DbErrorKind.NotSupported => 501,
        DbErrorKind.Unavailable => 503,
        DbErrorKind.Timeout => 504,
        _ => 500,
    };
}
