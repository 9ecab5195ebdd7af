namespace Backend.Http;

/// <summary>An error answered to the client as <c>{"status":N,"message":"..."}</c>. Throw it from any endpoint.</summary>
public sealed class ApiException : Exception
{
    /// <summary>Creates an error with its HTTP status.</summary>
    public ApiException(int status, string message) : base(message) => Status = status;

    /// <summary>Creates a 400 error.</summary>
    public ApiException() : this(400, "Bad request") { }

    /// <summary>Creates a 400 error.</summary>
    public ApiException(string message) : this(400, message) { }

    /// <summary>Creates a 400 error with an inner exception.</summary>
    public ApiException(string message, Exception inner) : base(message, inner) => Status = 400;

    /// <summary>HTTP status code.</summary>
    public int Status { get; }

    /// <summary>400 for a missing or invalid parameter.</summary>
    public static ApiException BadRequest(string message) => new(400, message);

    /// <summary>404 for a missing record.</summary>
    public static ApiException NotFound(string message = "Not found") => new(404, message);
}
