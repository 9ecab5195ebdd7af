namespace Backend.Data;

/// <summary>One condition of a select: column, operator and a converted value (a list for In and Between).</summary>
public sealed record DbCondition(string Column, DbCompare Op, object? Value);
