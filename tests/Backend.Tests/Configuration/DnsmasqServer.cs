using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Backend.Tests.Server;
using DnsClient;

namespace Backend.Tests.Configuration;

/// <summary>A real DNS server for the tests: dnsmasq (Debian's dnsmasq-base, installed by scripts/servers) on
/// 127.0.0.1 and a free port, answering only from the TXT records it is given and NXDOMAIN for any other name of
/// <see cref="Zone"/> (no upstream, no /etc/hosts, never the system service on port 53). Disposing kills this process
/// by its pid.</summary>
public sealed class DnsmasqServer : IAsyncDisposable
{
    /// <summary>The zone the server answers for; tests use names under it.</summary>
    public const string Zone = "bkcs.test";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private readonly string _conf;

    private DnsmasqServer(Process process, int port, string conf)
    {
        _process = process;
        Port = port;
        _conf = conf;
    }

    /// <summary>The UDP (and TCP) port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The -config-dns-server value for this server.</summary>
    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The dnsmasq program, or a skip (a failure under CI, where scripts/servers installs it).</summary>
    public static string Require()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Where(d => d.Length > 0))
        {
            var path = Path.Combine(dir, "dnsmasq");
            if (File.Exists(path)) return path;
        }
        const string why = "no dnsmasq program: scripts/servers start installs it (apt-get install dnsmasq-base)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) throw new InvalidOperationException(why);
        Assert.Skip(why);
        return "";
    }

    /// <summary>Starts dnsmasq with <paramref name="records"/>: (name, strings) pairs, where name is relative to
    /// <see cref="Zone"/>; each pair is one TXT record of one or more strings (a name given twice has two records).
    /// Returns once the server answers.</summary>
    public static async Task<DnsmasqServer> StartAsync(params (string Name, string[] Strings)[] records)
    {
        var program = Require();
        Exception? last = null;
        // A port picked as free can be taken before dnsmasq binds it; try a few.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreeUdpAndTcpPort();
            // The records go in a config file: only there does dnsmasq read quoted strings, which may hold commas
            // (txt-record=NAME,"STRING","STRING" is one record of two strings).
            var conf = Path.Combine(Path.GetTempPath(), $"bkcs-dnsmasq-{Guid.NewGuid():N}.conf");
            await File.WriteAllLinesAsync(conf, records.Select(r =>
                $"txt-record={r.Name}.{Zone}," + string.Join(',', r.Strings.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""))),
                TestContext.Current.CancellationToken);
            var psi = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
            {
                "--port=" + port.ToString(CultureInfo.InvariantCulture), "--no-daemon", "--no-resolv", "--no-hosts",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--conf-file=" + conf, "--pid-file=", "--log-facility=-",
                // Names of the zone without a record are NXDOMAIN, not REFUSED for want of an upstream server.
                $"--local=/{Zone}/",
                // Always there, for the readiness check below.
                $"--txt-record=ready.{Zone},yes",
            })
            {
                psi.ArgumentList.Add(a);
            }
            var server = new DnsmasqServer(Process.Start(psi)!, port, conf);
            server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            try
            {
                await server.WaitReadyAsync();
                return server;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                last = ex;
                await server.DisposeAsync();
            }
        }
        throw new InvalidOperationException("dnsmasq did not start", last);
    }

    /// <summary>A UDP port on 127.0.0.1 that receives queries and never answers them (a black-holed DNS server).
    /// Dispose the socket to release it.</summary>
    public static UdpClient BlackHole(out int port)
    {
        var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        port = ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
        return socket;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitReadyAsync()
    {
        var client = new LookupClient(new LookupClientOptions(new IPEndPoint(IPAddress.Loopback, Port))
        {
            Timeout = TimeSpan.FromMilliseconds(500),
            Retries = 0,
            UseCache = false,
            ThrowDnsErrors = false,
        });
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process.HasExited) throw new InvalidOperationException("dnsmasq exited: " + Output);
            try
            {
                var response = await client.QueryAsync($"ready.{Zone}", QueryType.TXT, QueryClass.IN, TestContext.Current.CancellationToken);
                if (!response.HasError && response.Answers.TxtRecords().Any()) return;
            }
            catch (DnsResponseException)
            {
                // Not listening yet.
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException("dnsmasq did not answer in 15 s: " + Output);
    }

    private static int FreeUdpAndTcpPort()
    {
        while (true)
        {
            var port = BackendServer.FreePort();
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Free for TCP, taken for UDP: another one.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        File.Delete(_conf);
    }
}
