namespace Backend.Configuration;

/// <summary>Path rules: <c>~</c> is the user's home; relative paths are relative to the backend home.</summary>
internal static class ConfigPaths
{
    public const string DefaultHome = "~/.backend";

    /// <summary>Replaces a leading <c>~</c> or <c>~/</c> with the user's home; <c>~user</c> is left alone.</summary>
    public static string ExpandUser(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
        {
            var user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return path.Length == 1 ? user : Path.Join(user, path[2..]);
        }

        return path;
    }

    /// <summary>The absolute home: from -home/BKCS_HOME relative to the current directory, else ~/.backend.</summary>
    public static string ResolveHome(string? value) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(ExpandUser(string.IsNullOrWhiteSpace(value) ? DefaultHome : value)));

    /// <summary>Absolute form of a path value; like the original, which ran in its home, relative means relative to the home.</summary>
    public static string Resolve(string home, string value) => Path.GetFullPath(ExpandUser(value), home);

    /// <summary>
    /// The config file: a bare file name is looked up in etc/ of the home (as in the original backendjs),
    /// other paths follow <see cref="Resolve"/>; unset means etc/config.
    /// </summary>
    public static string ResolveConfigFile(string home, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Path.Join(home, "etc", "config");
        }

        var hasDirectory = value.IndexOfAny(['/', Path.DirectorySeparatorChar]) >= 0 || value.StartsWith('~');
        return hasDirectory ? Resolve(home, value) : Path.Join(home, "etc", value);
    }
}
