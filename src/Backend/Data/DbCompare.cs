namespace Backend.Data;

/// <summary>Comparison operators for conditions (the reference's <c>ops</c>).</summary>
public enum DbCompare
{
    /// <summary><c>=</c></summary>
    Eq,
    /// <summary><c>!=</c></summary>
    Ne,
    /// <summary><c>&gt;</c></summary>
    Gt,
    /// <summary><c>&gt;=</c></summary>
    Ge,
    /// <summary><c>&lt;</c></summary>
    Lt,
    /// <summary><c>&lt;=</c></summary>
    Le,
    /// <summary>One of a list of values.</summary>
    In,
    /// <summary>Between two values, inclusive.</summary>
    Between,
    /// <summary>Text starts with the value (case-sensitive).</summary>
    BeginsWith,
    /// <summary>Text contains the value (case-sensitive).</summary>
    Contains,
    /// <summary>SQL LIKE pattern with <c>%</c> and <c>_</c>.</summary>
    Like,
}

/// <summary>Parses operator names as clients of the original send them (<c>gt</c>, <c>&gt;</c>, <c>begins_with</c>, ...).</summary>
internal static class DbCompareNames
{
    /// <summary>Parses an operator name; false when unknown.</summary>
    public static bool TryParse(string? name, out DbCompare op)
    {
        op = (name ?? "").Trim().ToLowerInvariant() switch
        {
            "" or "=" or "==" or "eq" => DbCompare.Eq,
            "!=" or "<>" or "ne" or "neq" => DbCompare.Ne,
            ">" or "gt" => DbCompare.Gt,
            ">=" or "ge" or "gte" => DbCompare.Ge,
            "<" or "lt" => DbCompare.Lt,
            "<=" or "le" or "lte" => DbCompare.Le,
            "in" => DbCompare.In,
            "between" => DbCompare.Between,
            "begins_with" => DbCompare.BeginsWith,
            "contains" => DbCompare.Contains,
            "like" => DbCompare.Like,
            _ => (DbCompare)(-1),
        };
        return Enum.IsDefined(op);
    }
}
