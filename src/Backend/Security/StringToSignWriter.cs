namespace Backend.Security;

/// <summary>Writes the canonical strings to sign (see signature.md) into a <see cref="CharBuffer"/>.</summary>
internal static class StringToSignWriter
{
    /// <summary>Versions 1 and 3: METHOD, HOST, PATH, SORTED_QUERY, EXPIRES, CONTENT_TYPE, CHECKSUM, each followed by \n.</summary>
    public static void Write(ref CharBuffer buffer, SigningRequest request, long expires, bool keepPort)
    {
        buffer.Append(request.Method);
        buffer.Append('\n');
        buffer.AppendLower(keepPort ? request.Host : HostName.WithoutPort(request.Host));
        buffer.Append('\n');
        buffer.Append(request.Path);
        buffer.Append('\n');
        QuerySorter.AppendSorted(ref buffer, request.Query);
        buffer.Append('\n');
        buffer.Append(expires);
        buffer.Append('\n');
        // From() already lower-cases it; repeated here for records built with the constructor.
        buffer.AppendLower(request.ContentType);
        buffer.Append('\n');
        buffer.Append(request.Checksum);
        buffer.Append('\n');
    }

    /// <summary>Version 2 (session): "*\nDOMAIN\n/\n*\nEXPIRES\n*\n*\n".</summary>
    public static void WriteSession(ref CharBuffer buffer, string domain, long expires)
    {
        buffer.Append("*\n");
        buffer.Append(domain);
        buffer.Append("\n/\n*\n");
        buffer.Append(expires);
        buffer.Append("\n*\n*\n");
    }
}
