using System.Globalization;
using System.Text;

namespace Backend.Configuration;

/// <summary>Parsing of raw parameter values shared by the loader, the accessors and validation.</summary>
internal static class ConfigValues
{
    private static readonly string[] TrueWords = ["1", "true", "yes", "on"];
    private static readonly string[] FalseWords = ["0", "false", "no", "off"];

    public static bool TryParseBool(string value, out bool result)
    {
        var word = value.Trim();
        result = TrueWords.Contains(word, StringComparer.OrdinalIgnoreCase);
        return result || FalseWords.Contains(word, StringComparer.OrdinalIgnoreCase);
    }

    public static bool TryParseLong(string value, out long result) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out result);

    public static bool TryParseNumber(string value, out double result) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out result) && double.IsFinite(result);

    /// <summary>
    /// True for tokens like <c>-1</c> or <c>-2.5</c>: on the command line they are values, not parameter names.
    /// </summary>
    public static bool IsNegativeNumber(string token) =>
        token.Length > 1 && token[0] == '-' && (char.IsAsciiDigit(token[1]) || token[1] == '.') && TryParseNumber(token, out _);

    /// <summary>
    /// Splits a list value on commas; double quotes protect commas inside an item (<c>"a{1,3}",b</c>).
    /// Items are trimmed and empty items dropped.
    /// </summary>
    public static List<string> SplitList(string value)
    {
        var items = new List<string>();
        var item = new StringBuilder();
        var quoted = false;
        foreach (var c in value)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                AddItem(items, item);
            }
            else
            {
                item.Append(c);
            }
        }

        AddItem(items, item);
        return items;
    }

    /// <summary>The inverse of <see cref="SplitList"/>: items with a comma are quoted.</summary>
    public static string JoinList(IEnumerable<string> items) =>
        string.Join(',', items.Select(i => i.Contains(',') ? $"\"{i}\"" : i));

    /// <summary>The value in double quotes with control characters escaped, so a message stays one line.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '"' => "\\\"",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    private static void AddItem(List<string> items, StringBuilder item)
    {
        var text = item.ToString().Trim();
        if (text.Length > 0)
        {
            items.Add(text);
        }

        item.Clear();
    }
}
