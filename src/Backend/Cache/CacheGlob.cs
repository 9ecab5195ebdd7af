namespace Backend.Cache;

/// <summary>The key patterns of <see cref="ICache.KeysAsync"/> and <see cref="ICache.ClearAsync"/>: <c>*</c> any run of
/// characters, <c>?</c> one character, everything else literal (Redis's glob without classes and escapes, so one
/// pattern means the same on every kind). Public for cache providers, whose servers may not match such patterns.</summary>
public static class CacheGlob
{
    /// <summary>True when <paramref name="key"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(string pattern, string key)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(key);
        return IsMatch(pattern.AsSpan(), key.AsSpan());
    }

    // Iterative matching with one backtrack point (the last '*'): linear in practice, never exponential.
    private static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> key)
    {
        int p = 0, k = 0, star = -1, mark = 0;
        while (k < key.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == key[k]) && pattern[p] != '*')
            {
                p++;
                k++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = k;
            }
            else if (star >= 0)
            {
                p = star + 1;
                k = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
