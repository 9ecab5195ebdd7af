using Backend.Cli;

return await Commands.RunAsync(args, Console.Out, Console.Error);

/// <summary>bkcs is a tool, not a library: its entry point is not part of any public surface (the ASP.NET Core source
/// generator would otherwise make the top-level <c>Program</c> public).</summary>
internal sealed partial class Program;
