namespace Backend.Data;

/// <summary>A database error with the HTTP status it maps to: 400 bad input, 404 missing, 409 conflict, 503 database unavailable
/// (retried by the facade's reads), 504 the call ran past its time limit (<see cref="DbTimeout"/>; never retried).</summary>
public sealed class DbException : Exception
{
    /// <summary>Creates an error.</summary>
    public DbException(int status, string message, Exception? inner = null) : base(message, inner) => Status = status;

    /// <summary>Creates a 500 error.</summary>
    public DbException() : this(500, "database error") { }

    /// <summary>Creates a 500 error.</summary>
    public DbException(string message) : this(500, message) { }

    /// <summary>Creates a 500 error.</summary>
    public DbException(string message, Exception inner) : this(500, message, inner) { }

    /// <summary>HTTP status code.</summary>
    public int Status { get; }

    internal static DbException BadInput(string message) => new(400, message);
}
