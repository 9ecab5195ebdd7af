using System.Text;
using Backend.Data;
using Backend.Http;

namespace Backend.Api.Data;

/// <summary>The driver-native condition of <c>/data/search/TABLE</c> (<c>_query</c>: an SQL WHERE expression, a
/// DynamoDB filter expression), with the request's column values bound as <c>@name</c> parameters. Native text is
/// a trusted admin tool, not a sandbox; these checks only keep obvious misuse out: one expression (no <c>;</c>, no
/// comments, escapes or dollar quotes, so it cannot end the statement and start another), and no word naming a hidden column of any table
/// (so it cannot test guesses of a secret).</summary>
internal static class DataSearchQuery
{
    /// <summary>Longest accepted query text.</summary>
    public const int MaxLength = 4096;

    /// <summary>The native query, or 400 when it is missing or refused.</summary>
    public static DbNativeQuery Build(ApiRequest api, TableSchema table, TableRegistry tables, bool hashNames)
    {
        var text = api.Get("_query") ?? throw ApiException.BadRequest("search needs _query: a native condition with @column parameters");
        if (text.Length > MaxLength) throw ApiException.BadRequest($"_query is longer than {MaxLength} characters");
        var hidden = tables.All.SelectMany(t => t.Columns).Where(c => c.Hidden).Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var word in Words(text, hashNames))
        {
            if (hidden.Contains(word)) throw new ApiException(403, $"_query cannot use the hidden column {word}");
        }
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in api.Columns())
        {
            // Typed like the column so the database compares like with like; other names stay text.
            parameters[name] = table.Column(name) is { } c ? DbValues.Convert(c, value) : value;
        }
        return new DbNativeQuery(text, parameters);
    }

    /// <summary>The words of the text outside string literals (quoted identifiers count as words); 400 on a statement
    /// separator, a comment or an unterminated quote.</summary>
    private static List<string> Words(string text, bool hashNames)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        char quote = '\0';
        var quoted = new StringBuilder();
        void Flush()
        {
            if (word.Length > 0) words.Add(word.ToString());
            word.Clear();
        }
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quote != '\0')
            {
                if (ch == quote)
                {
                    // Double quotes and backticks quote identifiers in SQL: they are words too.
                    if (quote != '\'') words.Add(quoted.ToString());
                    quote = '\0';
                    quoted.Clear();
                }
                else
                {
                    if (ch == '\\') throw ApiException.BadRequest("_query must not contain \\");
                    quoted.Append(ch);
                }
                continue;
            }
            if (ch is '\'' or '"' or '`')
            {
                Flush();
                quote = ch;
                continue;
            }
            if (ch == ';') throw ApiException.BadRequest("_query must be one expression (no ;)");
            // Comments, and escapes or dollar quotes that would make this scan see quotes differently from the
            // database (MySQL backslash escapes, PostgreSQL $$ strings); '#' names attributes on DynamoDB only and
            // starts a comment in MySQL.
            if ((ch == '-' && At(text, i + 1, '-')) || (ch == '/' && At(text, i + 1, '*')) || (ch == '#' && !(hashNames && IsWordStart(text, i + 1))))
                throw ApiException.BadRequest("_query must not contain comments");
            if (ch is '\\' or '$') throw ApiException.BadRequest($"_query must not contain {ch}");
            // Parameters are @name only: the drivers' own markers (?, ?1, :name, @1) would be left without a value, which
            // SQLite's provider reports as an InvalidOperationException and MySQL binds to the statement's own parameters.
            if (ch == '?') throw ApiException.BadRequest("_query parameters are @name (no ?)");
            if (ch == '@' && !IsWordStart(text, i + 1)) throw ApiException.BadRequest("_query parameters are @name: a letter or _ must follow @");
            if (ch == ':' && !hashNames && i + 1 < text.Length && (char.IsLetterOrDigit(text[i + 1]) || text[i + 1] == '_') && !(i > 0 && text[i - 1] == ':'))
                throw ApiException.BadRequest("_query parameters are @name (no :name)");
            if (char.IsLetterOrDigit(ch) || ch == '_') word.Append(ch);
            else Flush();
        }
        if (quote != '\0') throw ApiException.BadRequest("_query has an unterminated quote");
        Flush();
        return words;
    }

    private static bool At(string text, int i, char ch) => i < text.Length && text[i] == ch;

    private static bool IsWordStart(string text, int i) => i < text.Length && (char.IsLetter(text[i]) || text[i] == '_');
}
