namespace Backend.Configuration;

/// <summary>
/// A configuration error that stops start-up. The message is one line meant for the user,
/// e.g. <c>invalid value for -port: "abc" is not an integer</c>; the CLI prints it and exits with code 2.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ConfigException()
        : base("invalid configuration")
    {
    }

    /// <summary>Creates an exception with the given one-line message.</summary>
    public ConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given one-line message and its cause.</summary>
    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
