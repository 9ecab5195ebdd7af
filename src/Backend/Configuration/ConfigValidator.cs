using System.Globalization;
using System.Text.RegularExpressions;

namespace Backend.Configuration;

/// <summary>Checks a raw value against its parameter's type, range and choices.</summary>
internal static class ConfigValidator
{
    /// <summary>Returns null when the value is acceptable, else what is wrong (e.g. <c>"abc" is not an integer</c>).</summary>
    public static string? Check(ConfigParameter parameter, string value)
    {
        if (parameter.Type != ConfigType.List)
        {
            return CheckScalar(parameter, parameter.Type, value);
        }

        if (parameter.ItemType is not { } itemType || itemType == ConfigType.List)
        {
            return null;
        }

        return ConfigValues.SplitList(value).Select(item => CheckScalar(parameter, itemType, item)).FirstOrDefault(p => p is not null);
    }

    private static string? CheckScalar(ConfigParameter parameter, ConfigType type, string value)
    {
        var quoted = ConfigValues.Quote(value);
        return type switch
        {
            ConfigType.Int => ConfigValues.TryParseLong(value.Trim(), out var n)
                ? CheckRange(parameter, n, n.ToString(CultureInfo.InvariantCulture))
                : $"{quoted} is not an integer",
            ConfigType.Number => ConfigValues.TryParseNumber(value.Trim(), out var d)
                ? CheckRange(parameter, d, d.ToString(CultureInfo.InvariantCulture))
                : $"{quoted} is not a number",
            ConfigType.Bool => ConfigValues.TryParseBool(value, out _)
                ? null
                : $"{quoted} is not a boolean (use 1/0, true/false, yes/no or on/off)",
            ConfigType.Regex => CheckRegex(value, quoted),
            ConfigType.Url => value.Length == 0 || Uri.TryCreate(value, UriKind.Absolute, out _)
                ? null
                : $"{quoted} is not an absolute URL",
            _ => CheckChoices(parameter, value, quoted),
        };
    }

    private static string? CheckRange(ConfigParameter parameter, double value, string text) =>
        (parameter.Min, parameter.Max) switch
        {
            ({ } min, { } max) when value < min || value > max => $"{text} is out of range {min}..{max}",
            ({ } min, null) when value < min => $"{text} is less than the minimum {min}",
            (null, { } max) when value > max => $"{text} is greater than the maximum {max}",
            _ => null,
        };

    private static string? CheckRegex(string value, string quoted)
    {
        try
        {
            _ = new Regex(value, RegexOptions.None, TimeSpan.FromSeconds(1));
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"{quoted} is not a valid regular expression: {ex.Message}";
        }
    }

    private static string? CheckChoices(ConfigParameter parameter, string value, string quoted) =>
        parameter.Choices is { Count: > 0 } choices && !choices.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase)
            ? $"{quoted} is not one of {string.Join('|', choices)}"
            : null;
}
