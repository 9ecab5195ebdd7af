using System.Globalization;
using CsCheck;

namespace Backend.Tests.Fuzz;

/// <summary>How much to fuzz: from the environment, else the normal run's figures.
/// <list type="bullet">
/// <item><c>BKCS_FUZZ_LONG=1</c>: the long mode, 1,000,000 requests and 1,000,000 inputs per parser.</item>
/// <item><c>BKCS_FUZZ_REQUESTS=N</c>, <c>BKCS_FUZZ_INPUTS=N</c>: explicit counts (HTTP requests; inputs per parser).</item>
/// <item><c>BKCS_FUZZ_SEED=N</c>: the seed (a fixed one by default, so every run sends the same cases).</item>
/// <item><c>BKCS_FUZZ_CONCURRENCY=N</c>: requests in flight (8).</item>
/// </list>
/// The normal run sends 20,000 requests on SQLite and 5,000 on each external pool (the per-pool runs of scripts/test),
/// whose servers are slower and shared.</summary>
public sealed record FuzzSettings(bool Long, long Requests, long Inputs, ulong Seed, int Concurrency)
{
    /// <summary>The fixed seed of the normal run.</summary>
    public const ulong DefaultSeed = 20_260_909;

    /// <summary>HTTP requests of the normal run on SQLite.</summary>
    public const long NormalRequests = 20_000;

    /// <summary>HTTP requests of the normal run on an external pool (8,000 since the icons and files endpoints: about
    /// 100 per endpoint, so most reach a 2xx).</summary>
    public const long NormalPoolRequests = 8_000;

    /// <summary>Inputs per parser in the normal run.</summary>
    public const long NormalInputs = 20_000;

    /// <summary>The settings of this run.</summary>
    public static FuzzSettings FromEnvironment(string pool)
    {
        var isLong = Environment.GetEnvironmentVariable("BKCS_FUZZ_LONG") is "1" or "true";
        long Read(string name, long fallback) =>
            long.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
        var requests = Read("BKCS_FUZZ_REQUESTS", isLong ? 1_000_000 : pool == "sqlite" ? NormalRequests : NormalPoolRequests);
        var inputs = Read("BKCS_FUZZ_INPUTS", isLong ? 1_000_000 : NormalInputs);
        var seed = (ulong)Read("BKCS_FUZZ_SEED", (long)DefaultSeed);
        var concurrency = (int)Math.Clamp(Read("BKCS_FUZZ_CONCURRENCY", 8), 1, 64);
        return new FuzzSettings(isLong, requests, inputs, seed, concurrency);
    }
}

/// <summary>One failing input: its CsCheck seed (reproduces it exactly), the input and why it failed.</summary>
/// <param name="Seed">The seed of the case (<c>PCG.Parse</c>).</param>
/// <param name="Input">The input, described.</param>
/// <param name="Reason">What was wrong.</param>
public sealed record FuzzFailure(string Seed, string Input, string Reason);

/// <summary>Thrown inside a CsCheck sample for a failing input.</summary>
public sealed class FuzzFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FuzzFailureException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public FuzzFailureException() { }

    /// <summary>Creates the exception.</summary>
    public FuzzFailureException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Runs a generator deterministically: input i comes from the i-th seed of a PCG stream started at the run's
/// seed, so a run with the same seed and count generates the same inputs whatever the concurrency. A failure is then
/// shrunk by CsCheck (<c>SampleAsync</c> from the failing seed: it looks for smaller failing inputs) and reported with
/// its seed and a description to paste into a regression test.</summary>
public static class FuzzDriver
{
    /// <summary>Failures kept for the report.</summary>
    public const int MaxKept = 20;

    /// <summary>Runs <paramref name="count"/> inputs through <paramref name="check"/> (null when the input passed, else
    /// why not) with <paramref name="concurrency"/> in flight; returns the failures (at most <see cref="MaxKept"/>) and
    /// how many failed.</summary>
    public static async Task<(List<FuzzFailure> Failures, long Failed)> RunAsync<T>(Gen<T> gen, Func<T, Task<string?>> check, Func<T, string> describe,
        long count, ulong seed, int concurrency, Action<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gen);
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(describe);
        var master = new PCG(1, seed);
        var gate = new Lock();
        long next = 0, failed = 0;
        var failures = new List<FuzzFailure>();
        async Task Worker()
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                PCG pcg;
                long i;
                lock (gate)
                {
                    if (next >= count) return;
                    i = next++;
                    pcg = new PCG(1, master.Next64());
                }
                var caseSeed = pcg.ToString();
                var input = gen.Generate(pcg, null, out CsCheck.Size _);
                string? reason;
                try
                {
                    reason = await check(input);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    reason = $"{ex.GetType().Name}: {ex.Message}";
                }
                if (reason is not null)
                {
                    Interlocked.Increment(ref failed);
                    lock (gate)
                    {
                        if (failures.Count < MaxKept) failures.Add(new FuzzFailure(caseSeed, Shorten(describe(input)), reason));
                    }
                }
                if (progress is not null && (i + 1) % 10_000 == 0) progress(i + 1);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();
        return (failures, failed);
    }

    /// <summary>Shrinks a failure with CsCheck: samples from its seed looking for smaller failing inputs, and returns
    /// CsCheck's report (seed and the smallest input, printed with <paramref name="describe"/>).</summary>
    public static async Task<string> ShrinkAsync<T>(Gen<T> gen, Func<T, Task<string?>> check, Func<T, string> describe, string seed, long iterations, int threads)
    {
        ArgumentNullException.ThrowIfNull(gen);
        try
        {
            await gen.SampleAsync(async input =>
            {
                if (await check(input) is { } reason) throw new FuzzFailureException(reason);
            }, seed: seed, iter: iterations, threads: threads, print: describe);
            return "(the failure did not happen again while shrinking)";
        }
        catch (CsCheckException ex)
        {
            return ex.Message + (ex.InnerException is { } inner ? "\nreason: " + inner.Message : "");
        }
    }

    /// <summary>The report of failures, for an assertion message.</summary>
    public static string Report(IEnumerable<FuzzFailure> failures, long failed, string shrunk) =>
        $"{failed:N0} failing inputs; the first ones (seed, reason, input):\n" +
        string.Join("\n", failures.Select(f => $"- seed {f.Seed}: {f.Reason}\n  {f.Input}")) +
        "\nshrunk by CsCheck:\n" + shrunk;

    private static string Shorten(string s) => s.Length > 6000 ? s[..6000] + " ..." : s;
}
