namespace Backend.Data;

/// <summary>Logical column types; every driver maps them to its native types and back so values round-trip identically.</summary>
public enum ColumnType
{
    /// <summary>Unicode string (the default).</summary>
    Text,
    /// <summary>32/64-bit integer, returned as <see cref="long"/>.</summary>
    Int,
    /// <summary>64-bit integer (millisecond timestamps), returned as <see cref="long"/>.</summary>
    BigInt,
    /// <summary>Double-precision number.</summary>
    Real,
    /// <summary>Boolean, returned as <see cref="bool"/>.</summary>
    Bool,
    /// <summary>Any JSON value, stored as text and returned as a parsed JSON node.</summary>
    Json,
    /// <summary>Integer counter that <c>Incr</c> adds to.</summary>
    Counter,
}
