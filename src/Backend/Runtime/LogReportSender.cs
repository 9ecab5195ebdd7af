using System.Net;
using System.Net.Http.Json;
using System.Net.Mail;
using Microsoft.Extensions.Options;

namespace Backend.Runtime;

/// <summary>Delivers a <see cref="LogReport"/>; throws when it was not delivered, so the watcher keeps the positions
/// and sends the same lines (and the new ones) at the next interval.</summary>
internal interface ILogReportSender
{
    /// <summary>Where reports go, for the log.</summary>
    string Destination { get; }

    Task SendAsync(LogReport report, CancellationToken ct);
}

/// <summary>-logwatcher-url: the report as a JSON POST; any 2xx answer is delivered, anything else (or no answer
/// within the send timeout) is not.</summary>
internal sealed class HttpLogReportSender : ILogReportSender, IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _url;

    public HttpLogReportSender(IOptions<LogWatcherOptions> options)
    {
        var o = options.Value;
        _url = new Uri(o.Url);
        _client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = o.SendTimeout };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Backend.cs-logwatcher/1.0");
    }

    public string Destination => _url.ToString();

    public async Task SendAsync(LogReport report, CancellationToken ct)
    {
        using var response = await _client.PostAsJsonAsync(_url, report, LogWatcherJson.Default.LogReport, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{_url} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>-logwatcher-email: the report as a plain-text mail through -logwatcher-smtp-host.</summary>
/// <remarks>
/// System.Net.Mail's SmtpClient rather than MailKit (which NuGet serves): one plain-text message to a relay, usually the
/// local MTA on port 25, is all this needs, and SmtpClient (in the BCL, not marked obsolete; the docs only advise
/// MailKit for new work because it lacks modern protocol features) does it with STARTTLS and login, while MailKit would
/// add MimeKit and BouncyCastle to every app that uses the core. What SmtpClient cannot do: implicit TLS (port 465) and
/// OAuth; an app that needs them can register its own <see cref="ILogReportSender"/>.
/// </remarks>
internal sealed class SmtpLogReportSender(IOptions<LogWatcherOptions> options) : ILogReportSender
{
    private readonly LogWatcherOptions _options = options.Value;

    public string Destination => $"{string.Join(", ", _options.Email)} via {_options.SmtpHost}:{_options.SmtpPort}";

    /// <summary>The sender address: -logwatcher-from, else logwatcher@HOSTNAME (the reference's default).</summary>
    public static string FromAddress(LogWatcherOptions options) =>
        options.From.Length > 0 ? options.From : "logwatcher@" + Dns.GetHostName();

    public async Task SendAsync(LogReport report, CancellationToken ct)
    {
        using var message = new MailMessage { From = new MailAddress(FromAddress(_options)), Subject = report.Subject, Body = report.Text(), BodyEncoding = System.Text.Encoding.UTF8 };
        foreach (var to in _options.Email) message.To.Add(new MailAddress(to));
        using var smtp = new SmtpClient(_options.SmtpHost, _options.SmtpPort)
        {
            EnableSsl = _options.SmtpTls,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)_options.SendTimeout.TotalMilliseconds,
        };
        if (_options.SmtpUser.Length > 0) smtp.Credentials = new NetworkCredential(_options.SmtpUser, _options.SmtpPassword);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.SendTimeout);
        await smtp.SendMailAsync(message, timeout.Token);
    }
}
