using System.Buffers;
using System.Globalization;

namespace Backend.Security;

/// <summary>
/// A growable char buffer that starts on the caller's stack and only falls back to the shared pool for
/// unusually long input, so building a string to sign on every request costs no heap allocation.
/// Callers must <see cref="Dispose"/> it in a finally block (a using declaration would make it read-only).
/// </summary>
internal ref struct CharBuffer
{
    private char[]? _rented;
    private Span<char> _chars;
    private int _length;

    public CharBuffer(Span<char> initial)
    {
        _chars = initial;
    }

    public readonly ReadOnlySpan<char> Written => _chars[.._length];

    public void Clear() => _length = 0;

    public void Append(char value)
    {
        if (_length == _chars.Length)
            Grow(1);
        _chars[_length++] = value;
    }

    public void Append(scoped ReadOnlySpan<char> value)
    {
        if (_length + value.Length > _chars.Length)
            Grow(value.Length);
        value.CopyTo(_chars[_length..]);
        _length += value.Length;
    }

    public void AppendLower(scoped ReadOnlySpan<char> value)
    {
        if (_length + value.Length > _chars.Length)
            Grow(value.Length);
        _length += value.ToLowerInvariant(_chars[_length..]);
    }

    public void Append(long value)
    {
        int written;
        while (!value.TryFormat(_chars[_length..], out written, default, CultureInfo.InvariantCulture))
            Grow(20);
        _length += written;
    }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
            _rented = null;
        }
    }

    private void Grow(int extra)
    {
        var next = ArrayPool<char>.Shared.Rent(Math.Max(_chars.Length * 2, _length + extra));
        _chars[.._length].CopyTo(next);
        var old = _rented;
        _chars = _rented = next;
        if (old is not null)
            ArrayPool<char>.Shared.Return(old);
    }
}
