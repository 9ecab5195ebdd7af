namespace Backend.Configuration;

/// <summary>
/// Reads <c>etc/config</c>-style files: one <c>name=value</c> per line, the name as on the command line with
/// or without its leading '-'; whitespace around name and value is ignored; blank lines and lines starting
/// with '#' are skipped ('#' later in a line is part of the value, regexps need it).
/// </summary>
internal static class ConfigFileReader
{
    /// <summary>Reads the file, or returns nothing when it does not exist.</summary>
    public static List<ConfigEntry> Read(string path, ConfigSource source)
    {
        string[] lines;
        try
        {
            if (!File.Exists(path))
            {
                return [];
            }

            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read config file {path}: {ex.Message}", ex);
        }

        var entries = new List<ConfigEntry>();
        for (var n = 1; n <= lines.Length; n++)
        {
            var line = lines[n - 1].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var equals = line.IndexOf('=');
            if (equals < 0)
            {
                throw new ConfigException($"{path} line {n}: expected name=value, got {ConfigValues.Quote(line)}");
            }

            var name = line[..equals].Trim().TrimStart('-').Trim();
            if (name.Length == 0)
            {
                throw new ConfigException($"{path} line {n}: missing parameter name before '='");
            }

            entries.Add(new ConfigEntry(name, line[(equals + 1)..].Trim(), source, $"{path} line {n}"));
        }

        return entries;
    }
}
