#nullable enable
namespace Backend.Cli;

/// <summary><c>bkcs shell</c>: the reference's <c>bksh</c>.</summary>
internal static class ShellCommand
{
    /// <summary>The one-shot command a bksh flag names (<c>-get</c> is <c>get</c>), or null when it is not one.</summary>
    public static string? OneShot(string flag) => flag switch
    {
        "-get" or "-put" or "-update" or "-del" or "-select" or "-add-user" or "-show-config" => flag[1..],
        _ => null,
    };
}
