namespace Backend.Http;

/// <summary>An access decision or reply status: 200 to allow, anything else answers with that status and message.</summary>
public sealed record ApiStatus(int Status, string Message = "")
{
    /// <summary>Allowed.</summary>
    public static ApiStatus Ok { get; } = new(200);

    /// <summary>True when the status allows the request.</summary>
    public bool IsOk => Status == 200;
}
