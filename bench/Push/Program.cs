// Push (issue 16, point 6): notifications per second through ApnsSender to a local APNs fake, on loopback.
//
// This process is the sender. It makes a test CA, a server certificate and an ES256 (.p8) key in a temporary
// directory, then starts itself again as the fake (`fake DIR` role): a second OS process, Kestrel on 127.0.0.1,
// HTTP/2 only over TLS, that checks each request as APNs does (POST /3/device/TOKEN, apns-topic, the provider token's
// ES256 signature with the PUBLIC key, kid/iss/iat, a JSON body with an aps object) and answers 200. The signature is
// verified once per distinct token string (the last verified one is cached): the sender reuses one token for 50
// minutes, so that is what a real APNs would see too.
//
// Two modes, interleaved in each round, the same fake, the same ApnsSender code (payload, JWT, headers):
//   multiplexed     the sender as built: one SocketsHttpHandler, one HTTP/2 connection, CONCURRENCY sends in flight.
//   per-connection  the sender given a handler that makes a new SocketsHttpHandler for every notification (a TCP
//                   connect, a TLS handshake and the HTTP/2 preface each time) and disposes it after the answer, which
//                   closes the connection; the same CONCURRENCY sends in flight, so as many connections at once.
// Each run: a warm-up, then SECONDS of closed loop; notifications/s, the ratio to multiplexed of the same round, the
// CPU time per notification of each process and the share of the 2 cores other programs took meanwhile.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backend.Push;
using Backend.Push.Apns;
using Microsoft.Extensions.Logging.Abstractions;

if (args.Length > 1 && args[0] == "fake") return await Backend.Bench.Push.Fake.Run(args[1]);
return await Backend.Bench.Push.Bench.Run(args);

namespace Backend.Bench.Push
{
    internal static class Bench
    {
        private const string KeyId = "BENCHKEY01";
        private const string TeamId = "BENCHTEAM1";
        private const string Topic = "com.example.bench";

        public static async Task<int> Run(string[] args)
        {
            var seconds = Arg(args, "--seconds", 5);
            var rounds = Arg(args, "--rounds", 3);
            var concurrency = Arg(args, "--concurrency", 100);
            var warmup = Arg(args, "--warmup", 2);
            var inv = CultureInfo.InvariantCulture;

            var dir = Directory.CreateTempSubdirectory("bkcs-bench-push-").FullName;
            Process? fake = null;
            try
            {
                var caFile = WriteFiles(dir);
                fake = StartFake(dir, out var port);
                var push = new PushOptions { CaFile = caFile, TimeoutMs = 10_000 };
                var apns = new ApnsOptions { Key = Path.Combine(dir, "key.p8"), KeyId = KeyId, TeamId = TeamId, Topic = Topic, Host = $"https://127.0.0.1:{port}" };
                using var multiplexed = new ApnsSender(apns, push, TimeProvider.System, NullLogger.Instance, handler: null);
                using var perConnection = new ApnsSender(apns, push, TimeProvider.System, NullLogger.Instance, new ConnectionPerRequestHandler(PushHttp.LoadCaFile(caFile)));

                Console.WriteLine(string.Create(inv, $"APNs bench: ApnsSender -> fake APNs (another process, pid {fake.Id}) on 127.0.0.1:{port}, HTTP/2 + TLS;"
                    + $" {concurrency} sends in flight, {warmup} s warm-up + {seconds} s per run, {rounds} rounds; {Environment.ProcessorCount} cores"));
                Console.WriteLine();
                Console.WriteLine("| round | mode | notifications/s | vs multiplexed | sender CPU µs/notif | fake CPU µs/notif | other CPU % | connections opened | sent | fake 200s | errors |");
                Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
                var results = new List<(string Mode, double Rate, double Ratio)>();
                for (var round = 1; round <= rounds; round++)
                {
                    double baseline = 0;
                    foreach (var (mode, sender) in new[] { ("multiplexed", multiplexed), ("per-connection", perConnection) })
                    {
                        await Load(sender, concurrency, TimeSpan.FromSeconds(warmup));
                        var before = Snapshot(fake);
                        var fakeBefore = FakeCounts(fake);
                        var (sent, errorCount, firstError) = await Load(sender, concurrency, TimeSpan.FromSeconds(seconds));
                        var after = Snapshot(fake);
                        var errors = errorCount;
                        var fakeAfter = FakeCounts(fake);
                        var connections = fakeAfter.Connections - fakeBefore.Connections;
                        // Every notification counted as sent was checked and answered 200 by the fake: the two counts are equal.
                        var accepted = fakeAfter.Accepted - fakeBefore.Accepted;
                        var wall = (after.Wall - before.Wall).TotalSeconds;
                        var rate = sent / wall;
                        if (mode == "multiplexed") baseline = rate;
                        var senderCpu = (after.SelfCpu - before.SelfCpu).TotalMicroseconds / Math.Max(1, sent);
                        var fakeCpu = (after.FakeCpu - before.FakeCpu).TotalMicroseconds / Math.Max(1, sent);
                        var busy = after.MachineBusy - before.MachineBusy;
                        var total = after.MachineTotal - before.MachineTotal;
                        var ours = (after.SelfCpu - before.SelfCpu + (after.FakeCpu - before.FakeCpu)).TotalSeconds * 100; // in clock ticks of 10 ms
                        var other = total > 0 ? Math.Max(0, (busy - ours) / total * 100) : 0;
                        results.Add((mode, rate, rate / baseline));
                        Console.WriteLine(string.Create(inv, $"| {round} | {mode} | {rate:F0} | {rate / baseline:F2} | {senderCpu:F0} | {fakeCpu:F0} | {other:F0} | {connections} | {sent} | {accepted} | {errors}{(firstError is null ? "" : " (" + firstError + ")")} |"));
                    }
                }
                Console.WriteLine();
                Console.WriteLine("median over rounds:");
                Console.WriteLine("| mode | notifications/s | vs multiplexed |");
                Console.WriteLine("|---|---|---|");
                foreach (var mode in new[] { "multiplexed", "per-connection" })
                {
                    var rs = results.Where(r => r.Mode == mode).ToList();
                    Console.WriteLine(string.Create(inv, $"| {mode} | {Median(rs.Select(r => r.Rate)):F0} | {Median(rs.Select(r => r.Ratio)):F3} |"));
                }
                return 0;
            }
            finally
            {
                if (fake is not null)
                {
                    try
                    {
                        fake.StandardInput.Close();
                        if (!fake.WaitForExit(5000)) fake.Kill();
                    }
                    catch (InvalidOperationException)
                    {
                    }
                    fake.Dispose();
                }
                Directory.Delete(dir, recursive: true);
            }
        }

        private static async Task<(long Sent, long Errors, string? FirstError)> Load(ApnsSender sender, int concurrency, TimeSpan duration)
        {
            var tokens = Enumerable.Range(0, 1024).Select(_ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))).ToArray();
            var message = new PushMessage("A new message from the bench", Badge: 1, Sound: "default", Data: new Dictionary<string, string> { ["room"] = "42" });
            long sent = 0, errors = 0;
            string? firstError = null;
            using var stop = new CancellationTokenSource(duration);
            var workers = Enumerable.Range(0, concurrency).Select(async w =>
            {
                var i = w;
                while (!stop.IsCancellationRequested)
                {
                    var result = await sender.SendAsync(tokens[i++ & 1023], message, CancellationToken.None);
                    if (result.Outcome == PushOutcome.Sent)
                    {
                        Interlocked.Increment(ref sent);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                        Interlocked.CompareExchange(ref firstError, result.Outcome + " " + result.Reason, null);
                    }
                }
            }).ToArray();
            await Task.WhenAll(workers);
            return (sent, errors, firstError);
        }

        private static string WriteFiles(string dir)
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Backend.cs push bench CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(12));
            using var server = signed.CopyWithPrivateKey(serverKey);
            File.WriteAllBytes(Path.Combine(dir, "server.p12"), server.Export(X509ContentType.Pkcs12));
            var caFile = Path.Combine(dir, "ca.pem");
            File.WriteAllText(caFile, ca.ExportCertificatePem());
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(Path.Combine(dir, "key.p8"), key.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(Path.Combine(dir, "public.pem"), key.ExportSubjectPublicKeyInfoPem());
            File.WriteAllText(Path.Combine(dir, "expect.txt"), $"{KeyId}\n{TeamId}\n{Topic}\n");
            return caFile;
        }

        private static Process StartFake(string dir, out int port)
        {
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
            psi.ArgumentList.Add(typeof(Bench).Assembly.Location);
            psi.ArgumentList.Add("fake");
            psi.ArgumentList.Add(dir);
            var fake = Process.Start(psi) ?? throw new InvalidOperationException("the fake did not start");
            while (fake.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("PORT ", StringComparison.Ordinal))
                {
                    port = int.Parse(line[5..], CultureInfo.InvariantCulture);
                    return fake;
                }
            }
            throw new InvalidOperationException($"the fake exited (code {(fake.HasExited ? fake.ExitCode : -1)})");
        }

        private static (long Connections, long Accepted) FakeCounts(Process fake)
        {
            fake.StandardInput.WriteLine("count");
            fake.StandardInput.Flush();
            while (fake.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("CONNECTIONS ", StringComparison.Ordinal))
                {
                    var words = line.Split(' ');
                    return (long.Parse(words[1], CultureInfo.InvariantCulture), long.Parse(words[3], CultureInfo.InvariantCulture));
                }
            }
            throw new InvalidOperationException("the fake exited");
        }

        private static (TimeSpan Wall, TimeSpan SelfCpu, TimeSpan FakeCpu, double MachineBusy, double MachineTotal) Snapshot(Process fake)
        {
            fake.Refresh();
            // /proc/stat's first line: user nice system idle iowait irq softirq steal ... in clock ticks (10 ms).
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var idle = cpu[3] + cpu[4];
            var total = cpu.Take(8).Sum();
            return (Stopwatch.GetElapsedTime(0), Process.GetCurrentProcess().TotalProcessorTime, fake.TotalProcessorTime, total - idle, total);
        }

        private static double Median(IEnumerable<double> values)
        {
            var s = values.Order().ToList();
            return s.Count == 0 ? double.NaN : s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
        }

        private static int Arg(string[] args, string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
    }

    /// <summary>A new connection per notification: a fresh <see cref="SocketsHttpHandler"/> (the same TLS checks as
    /// PushHttp's, the CA loaded once) for each request, disposed once the answer is read, which closes it.</summary>
    internal sealed class ConnectionPerRequestHandler(X509Certificate2Collection roots) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
            };
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && ChainsTo(certificate, roots));
            using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
            var response = await invoker.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            return response;
        }

        private static bool ChainsTo(X509Certificate certificate, X509Certificate2Collection roots)
        {
            using var leaf = new X509Certificate2(certificate);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(leaf);
        }
    }
}
