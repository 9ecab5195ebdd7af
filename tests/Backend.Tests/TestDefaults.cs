using System.Runtime.CompilerServices;

namespace Backend.Tests;

/// <summary>Settings for the whole test run, made before any test.</summary>
internal static class TestDefaults
{
    /// <summary>The busy check (<c>-api-busy-latency</c>, 1000 ms by default) answers 503 while the thread pool lags a
    /// second: in this run dozens of servers share 2 cores, and in-process hosts share the test runner's pool with the
    /// parallel tests, so a lag that long is the machine, not the server under test. It is off for every server of the
    /// run (BKCS_API_BUSY_LATENCY, inherited by spawned servers) unless the variable is set already; the overload tests
    /// pass <c>-api-busy-latency</c> themselves (arguments win over the environment).</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (Environment.GetEnvironmentVariable("BKCS_API_BUSY_LATENCY") is null) Environment.SetEnvironmentVariable("BKCS_API_BUSY_LATENCY", "0");
    }
}
