namespace Backend.Configuration;

/// <summary>The kind of value a <see cref="ConfigParameter"/> accepts; it decides how values are validated.</summary>
public enum ConfigType
{
    /// <summary>Any text.</summary>
    String,

    /// <summary>A whole number (64-bit), optionally limited by <see cref="ConfigParameter.Min"/>/<see cref="ConfigParameter.Max"/>.</summary>
    Int,

    /// <summary>A finite floating-point number written with a '.' decimal point.</summary>
    Number,

    /// <summary>1/0, true/false, yes/no, on/off; a bare <c>-flag</c> on the command line means true.</summary>
    Bool,

    /// <summary>Comma-separated items; values from every source accumulate.</summary>
    List,

    /// <summary>A .NET regular expression that must compile.</summary>
    Regex,

    /// <summary>A file or directory; <c>~</c> means the user's home, relative paths are relative to the backend home.</summary>
    Path,

    /// <summary>An absolute URL (or empty for none).</summary>
    Url,
}
