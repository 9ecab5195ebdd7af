namespace Backend.Data.Sql;

/// <summary>A parameterised SQL statement: values are never spliced into the text.</summary>
public sealed record SqlStatement(string Text, IReadOnlyList<object?> Parameters);
