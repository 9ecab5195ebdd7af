using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Backend.Tests.Runtime;

/// <summary>An HTTP receiver of log watcher reports: Kestrel on a loopback port of its own, POST /report. It keeps every
/// JSON body it accepted; <see cref="Failing"/> answers 503 instead, <see cref="Delay"/> answers late.</summary>
public sealed class ReportReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<JsonElement> _reports = [];
    private int _attempts;

    private ReportReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    private volatile bool _failing;

    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    public TimeSpan Delay { get; set; }

    public int Attempts => Volatile.Read(ref _attempts);

    public IReadOnlyList<JsonElement> Reports
    {
        get
        {
            lock (_reports) return [.. _reports];
        }
    }

    /// <summary>Every line of report <paramref name="index"/>, all files together.</summary>
    public IReadOnlyList<string> Lines(int index) =>
        [.. Reports[index].GetProperty("files").EnumerateArray().SelectMany(f => f.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!))];

    public static async Task<ReportReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new ReportReceiver(app);
        app.MapPost("/report", async (HttpContext context) =>
        {
            Interlocked.Increment(ref receiver._attempts);
            if (receiver.Delay > TimeSpan.Zero) await Task.Delay(receiver.Delay, context.RequestAborted);
            if (receiver.Failing) return Results.StatusCode(503);
            var report = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: context.RequestAborted);
            lock (receiver._reports) receiver._reports.Add(report);
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/report";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A real SMTP server on a loopback port (the SmtpServer package): keeps every message it accepted;
/// <see cref="Refuse"/> makes it answer the message with 554 (transaction failed).</summary>
public sealed class TestSmtpServer : IAsyncDisposable, IMessageStore
{
    private readonly List<ReceivedMail> _messages = [];
    private readonly CancellationTokenSource _stop = new();
    private SmtpServer.SmtpServer? _server;
    private Task? _running;

    public int Port { get; private set; }

    private volatile bool _refuse;

    public bool Refuse
    {
        get => _refuse;
        set => _refuse = value;
    }

    public IReadOnlyList<ReceivedMail> Messages
    {
        get
        {
            lock (_messages) return [.. _messages];
        }
    }

    public static async Task<TestSmtpServer> StartAsync()
    {
        var store = new TestSmtpServer { Port = Server.BackendServer.FreePort() };
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, store.Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(store);
        store._server = new SmtpServer.SmtpServer(options, services);
        store._running = store._server.StartAsync(store._stop.Token);
        // Listening once a connection is accepted.
        await ProcessTree.WaitUntil(() =>
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                probe.Connect(IPAddress.Loopback, store.Port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10));
        return store;
    }

    public Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (Refuse) return Task.FromResult(SmtpResponse.TransactionFailed);
        var mail = ReceivedMail.Parse(transaction.From.AsAddress(), [.. transaction.To.Select(t => t.AsAddress())], Encoding.UTF8.GetString(buffer.ToArray()));
        lock (_messages) _messages.Add(mail);
        return Task.FromResult(SmtpResponse.Ok);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_running is not null) await _running;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        _stop.Dispose();
    }
}

/// <summary>A message as the SMTP server got it: envelope, headers, and the body decoded (base64 or
/// quoted-printable, as System.Net.Mail chose) with \n line ends.</summary>
public sealed record ReceivedMail(string From, IReadOnlyList<string> To, string Headers, string Body)
{
    public static ReceivedMail Parse(string from, IReadOnlyList<string> to, string data)
    {
        data = data.Replace("\r\n", "\n", StringComparison.Ordinal);
        var split = data.IndexOf("\n\n", StringComparison.Ordinal);
        var headers = data[..split];
        var body = data[(split + 2)..];
        if (headers.Contains("Content-Transfer-Encoding: base64", StringComparison.OrdinalIgnoreCase))
            body = Encoding.UTF8.GetString(Convert.FromBase64String(body.Replace("\n", "", StringComparison.Ordinal)));
        else if (headers.Contains("Content-Transfer-Encoding: quoted-printable", StringComparison.OrdinalIgnoreCase))
            body = QuotedPrintable(body);
        return new ReceivedMail(from, to, headers, body.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    private static string QuotedPrintable(string text)
    {
        var bytes = new List<byte>();
        text = text.Replace("=\n", "", StringComparison.Ordinal);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '=' && i + 2 < text.Length)
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
