#nullable enable
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Backend.Configuration;
using Backend.Data;
using Backend.Hosting;
using Backend.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backend.Cli;

/// <summary>The reference's REPL into a live process (<c>-repl-port</c>, <c>-repl-bind</c>): the <c>bkcs shell</c>
/// loop over a TCP connection, with the running app's <c>Db</c>, <c>Config</c> and <c>Services</c>. It runs in the
/// process that serves alone or in the <c>-master</c> (Web workers share one port, so they cannot all listen on it).
/// Whoever connects can run any code as the server, so the first line must be <c>-repl-token</c> (compared in
/// constant time) and it listens on loopback unless <c>-repl-bind</c> says otherwise; a wrong token gets one error
/// line and the connection is closed.</summary>
internal sealed partial class ReplServer(BackendConfig config, Db db, IServiceProvider services, RuntimePlan plan, ILogger<ReplServer> logger)
    : BackgroundService
{
    /// <summary>Adds the REPL to a server of bkcs when <c>-repl-port</c> is set; refuses a port without a token.</summary>
    public static void Add(BackendApplicationBuilder builder)
    {
        if (builder.Config.GetInt("repl-port") == 0) return;
        if (builder.Config.GetString("repl-token").Length == 0)
            throw new ConfigException("-repl-port needs -repl-token: whoever connects runs code as the server");
        if (!IPAddress.TryParse(builder.Config.GetString("repl-bind"), out _))
            throw new ConfigException($"invalid value for -repl-bind: '{builder.Config.GetString("repl-bind")}' is not an IP address");
        builder.Services.AddHostedService<ReplServer>();
    }

    private TcpListener? _listener;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (plan.Role is not (ProcessRole.Single or ProcessRole.Master)) return Task.CompletedTask;
        // Bound here, before the server reports itself started, so a client that waits for the server finds it.
        _listener = new TcpListener(IPAddress.Parse(config.GetString("repl-bind")), config.GetInt("repl-port"));
        _listener.Start();
        LogListening(logger, _listener.LocalEndpoint);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is null) return;
        using var registration = stoppingToken.Register(_listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = ServeAsync(client, stoppingToken);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stoppingToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                // A connection that never sends its token does not hold a socket for ever.
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var token = await reader.ReadLineAsync(timeout.Token) ?? "";
                if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(config.GetString("repl-token"))))
                {
                    if (logger.IsEnabled(LogLevel.Warning)) LogRefused(logger, client.Client.RemoteEndPoint?.ToString() ?? "?");
                    await writer.WriteLineAsync("error: bad token");
                    return;
                }
                await ShellCommand.ReplAsync(reader, writer, writer, new ShellGlobals(db, config, services), config.GetPath("repl-file"), interactive: false, stoppingToken);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or the server is stopping: nothing to answer.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "REPL listening on {Endpoint} (-repl-port)")]
    private static partial void LogListening(ILogger logger, EndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "REPL connection from {Remote} refused: bad token")]
    private static partial void LogRefused(ILogger logger, string remote);
}
