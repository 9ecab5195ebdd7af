using System.Text.RegularExpressions;

namespace Backend.Data;

/// <summary>Table and column names are restricted so they can be quoted safely into SQL and used as keys by every driver.</summary>
internal static partial class Identifier
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string name) => Pattern().IsMatch(name);
}
