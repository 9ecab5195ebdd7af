namespace Backend.Configuration;

/// <summary>The command line split into the command, its positional arguments and the parameters.</summary>
internal sealed record CommandLine(string? Command, IReadOnlyList<string> Arguments, IReadOnlyList<ConfigEntry> Entries);

/// <summary>
/// Parses <c>bkcs COMMAND ARG... -name value -flag -name=value ... [-- ARG...]</c>.
/// Rules: tokens before the first parameter are the command and its arguments; a token starting with '-'
/// is a parameter name unless it is a negative number or a lone "-"; the value of a non-Bool parameter is
/// the next token unless that is a parameter name (then the value is missing, use <c>-name=-text</c> for
/// text that starts with '-'); a Bool takes the next token only if it is a boolean word; an unknown
/// parameter without a value is a flag (<c>true</c>); "--" ends the parameters.
/// </summary>
internal static class CommandLineParser
{
    public static CommandLine Parse(IReadOnlyList<string> args, ConfigRegistry registry)
    {
        string? command = null;
        var arguments = new List<string>();
        var entries = new List<ConfigEntry>();
        var i = 0;
        for (; i < args.Count && !IsParameter(args[i]) && args[i] != "--"; i++)
        {
            if (command is null)
            {
                command = args[i];
            }
            else
            {
                arguments.Add(args[i]);
            }
        }

        while (i < args.Count)
        {
            var token = args[i++];
            if (token == "--")
            {
                foreach (var rest in args.Skip(i))
                {
                    if (command is null)
                    {
                        command = rest;
                    }
                    else
                    {
                        arguments.Add(rest);
                    }
                }

                break;
            }

            if (!IsParameter(token))
            {
                throw new ConfigException(
                    $"unexpected argument {ConfigValues.Quote(token)}: the command and its arguments must come before any -parameter");
            }

            entries.Add(ReadParameter(token, args, ref i, registry));
        }

        return new CommandLine(command, arguments, entries);
    }

    private static ConfigEntry ReadParameter(string token, IReadOnlyList<string> args, ref int i, ConfigRegistry registry)
    {
        var name = token[(token.StartsWith("--", StringComparison.Ordinal) ? 2 : 1)..];
        string? value = null;
        var equals = name.IndexOf('=');
        if (equals >= 0)
        {
            value = name[(equals + 1)..];
            name = name[..equals];
        }

        if (name.Length == 0)
        {
            throw new ConfigException($"invalid parameter {ConfigValues.Quote(token)}: a name must follow the '-'");
        }

        // The name as given (an alias stays an alias, so messages name what the user typed); the registry's
        // spelling when it differs only in case.
        var known = registry.TryGet(name, out var parameter);
        if (parameter is not null) name = parameter.Aliases.Prepend(parameter.Name).First(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        if (value is null)
        {
            var next = i < args.Count ? args[i] : null;
            var nextIsValue = next is not null && next != "--" && !IsParameter(next);
            if (parameter?.Type == ConfigType.Bool)
            {
                // A bare flag is true; "-debug false" still works because only boolean words are taken.
                value = nextIsValue && ConfigValues.TryParseBool(next!, out _) ? args[i++] : "true";
            }
            else if (nextIsValue)
            {
                value = args[i++];
            }
            else if (known)
            {
                var hint = next is not null && next != "--" ? $" (to give a value that starts with '-', write -{name}=VALUE)" : string.Empty;
                throw new ConfigException($"missing value for -{name}{hint}");
            }
            else
            {
                value = "true";
            }
        }

        return new ConfigEntry(name, value, ConfigSource.CommandLine, null);
    }

    private static bool IsParameter(string token) =>
        token.Length > 1 && token[0] == '-' && token != "--" && !ConfigValues.IsNegativeNumber(token);
}
