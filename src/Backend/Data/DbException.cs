namespace Backend.Data;

/// <summary>What went wrong in a database call, independent of any transport: the HTTP layer maps each kind to its
/// status in one place (<c>Http/DbErrorStatus</c>).</summary>
public enum DbErrorKind
{
    /// <summary>The database or driver failed in a way the caller cannot fix (HTTP 500).</summary>
    Failed,

    /// <summary>The request was malformed: unknown table or column, bad value, pattern too long (400).</summary>
    BadInput,

    /// <summary>The record does not exist where one was required (404).</summary>
    NotFound,

    /// <summary>A record with this key already exists (409).</summary>
    Conflict,

    /// <summary>The driver cannot do this operation (501), e.g. a native query on Redis.</summary>
    NotSupported,

    /// <summary>The database is unreachable, busy or throttling; reads are retried by the facade (503).</summary>
    Unavailable,

    /// <summary>The call ran past its time limit (<see cref="DbTimeout"/>); never retried (504).</summary>
    Timeout,
}

/// <summary>A database error of a <see cref="DbErrorKind"/>.</summary>
public sealed class DbException : Exception
{
    /// <summary>Creates an error.</summary>
    public DbException(DbErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    /// <summary>Creates a <see cref="DbErrorKind.Failed"/> error.</summary>
    public DbException() : this(DbErrorKind.Failed, "database error") { }

    /// <summary>Creates a <see cref="DbErrorKind.Failed"/> error.</summary>
    public DbException(string message) : this(DbErrorKind.Failed, message) { }

    /// <summary>Creates a <see cref="DbErrorKind.Failed"/> error.</summary>
    public DbException(string message, Exception inner) : this(DbErrorKind.Failed, message, inner) { }

    /// <summary>What went wrong.</summary>
    public DbErrorKind Kind { get; }

    internal static DbException BadInput(string message) => new(DbErrorKind.BadInput, message);
}
