using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Backend.Runtime;

/// <summary>One report of the log watcher: what one scan found in every file, sent as the JSON body of the POST to
/// -logwatcher-url (camelCase: <c>{"host","process","pid","home","time","files":[{"file","lines","omitted",
/// "skipped","restarted"}]}</c>) or as the text of the mail (<see cref="Text"/>).</summary>
/// <param name="Host">The machine's name.</param>
/// <param name="Process">The program (the app's assembly: <c>bkcs</c>, or an app's own name).</param>
/// <param name="Pid">The monitor's process id.</param>
/// <param name="Home">The backend home, telling apart several servers of one machine.</param>
/// <param name="Time">When the scan ran (UTC).</param>
/// <param name="Files">The files with something to report, in the order they are watched.</param>
internal sealed record LogReport(string Host, string Process, int Pid, string Home, DateTimeOffset Time, IReadOnlyList<LogReportFile> Files)
{
    /// <summary>Lines in the report.</summary>
    [JsonIgnore]
    public int LineCount => Files.Sum(f => f.Lines.Count);

    /// <summary>The mail subject (the reference's <c>logwatcher: HOST errors</c>).</summary>
    [JsonIgnore]
    public string Subject => $"logwatcher: {Host} errors: {LineCount.ToString(CultureInfo.InvariantCulture)} lines ({Process}, {Home})";

    /// <summary>The mail body: a header, then each file's lines under its name.</summary>
    public string Text()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{LineCount} lines from {Host} ({Process}, pid {Pid}, home {Home}) at {Time:yyyy-MM-dd HH:mm:ss} UTC\n");
        foreach (var file in Files)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n== {file.File} ==\n");
            if (file.Restarted) text.Append("(the file was rotated or truncated: read from its start)\n");
            if (file.Skipped > 0) text.Append(CultureInfo.InvariantCulture, $"({file.Skipped} bytes written since the last scan were skipped: over the read limit)\n");
            foreach (var line in file.Lines) text.Append(line).Append('\n');
            if (file.Omitted > 0) text.Append(CultureInfo.InvariantCulture, $"({file.Omitted} more lines not shown: the report is full)\n");
        }
        return text.ToString();
    }
}

/// <summary>One file's part of a <see cref="LogReport"/>.</summary>
/// <param name="File">Absolute path of the log file.</param>
/// <param name="Lines">The matched lines with the stack lines under them, oldest first.</param>
/// <param name="Omitted">Lines found but left out because the report reached its size limit.</param>
/// <param name="Skipped">Bytes not scanned because more than the read limit was written since the last scan.</param>
/// <param name="Restarted">The file was replaced or truncated since the last scan and was read from its start.</param>
internal sealed record LogReportFile(string File, IReadOnlyList<string> Lines, int Omitted, long Skipped, bool Restarted);
