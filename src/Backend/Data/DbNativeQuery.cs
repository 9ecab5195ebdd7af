namespace Backend.Data;

/// <summary>A driver-native query: SQL (a WHERE clause for Search, a whole statement for Query) with named
/// parameters written <c>@name</c>, or the native request text of a non-SQL driver. Parameters are always bound,
/// never spliced.</summary>
public sealed record DbNativeQuery(string Text, IReadOnlyDictionary<string, object?>? Parameters = null);
