using System.Text;

namespace Lifeboat.Cli;

/// <summary>
/// Where passwords come from: an environment variable, a file, or a prompt on a terminal —
/// never the command line, where other processes could read them.
/// </summary>
internal static class PasswordSource
{
    public const string PasswordVariable = "LIFEBOAT_PASSWORD";
    public const string NewPasswordVariable = "LIFEBOAT_NEW_PASSWORD";
    public const string FromPasswordVariable = "LIFEBOAT_FROM_PASSWORD";

    public static string Get(string? passwordFile)
    {
        if (passwordFile is not null)
        {
            return ReadFile(passwordFile, "--password-file");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(PasswordVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        return Prompt("Repository password: ", confirm: false)
            ?? throw new UsageException($"no password: set {PasswordVariable}, pass --password-file FILE, or run on a terminal to be asked");
    }

    /// <summary>
    /// The password of another repository (copy's source, backup's --also-to): FILE, else
    /// <paramref name="variable"/>, else <paramref name="fallback"/> (the repository password).
    /// </summary>
    public static string GetOther(string? passwordFile, string option, string variable, Func<string> fallback)
    {
        if (passwordFile is not null)
        {
            return ReadFile(passwordFile, option);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(variable);
        return !string.IsNullOrEmpty(fromEnvironment) ? fromEnvironment : fallback();
    }

    /// <summary>A new password (init uses the ordinary sources; key add/passwd their own).</summary>
    public static string GetNew(string? newPasswordFile)
    {
        if (newPasswordFile is not null)
        {
            return ReadFile(newPasswordFile, "--new-password-file");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(NewPasswordVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        return Prompt("New password: ", confirm: true)
            ?? throw new UsageException($"no new password: set {NewPasswordVariable}, pass --new-password-file FILE, or run on a terminal to be asked");
    }

    public static string GetForInit(string? passwordFile)
    {
        if (passwordFile is not null || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PasswordVariable)))
        {
            return Get(passwordFile);
        }

        return Prompt("Password for the new repository: ", confirm: true)
            ?? throw new UsageException($"no password: set {PasswordVariable}, pass --password-file FILE, or run on a terminal to be asked");
    }

    private static string ReadFile(string path, string option)
    {
        try
        {
            var text = File.ReadAllText(path, Encoding.UTF8);
            var line = text.Split('\n')[0].TrimEnd('\r');
            return line.Length > 0 ? line : throw new UsageException($"the file given to {option} ({path}) is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the file given to {option} ({path}): {e.Message}");
        }
    }

    private static string? Prompt(string prompt, bool confirm)
    {
        if (Console.IsInputRedirected || Console.IsErrorRedirected)
        {
            return null;
        }

        var first = ReadHidden(prompt);
        if (confirm && ReadHidden("Repeat it: ") != first)
        {
            throw new UsageException("the two passwords differ");
        }

        return first;
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var builder = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (builder.Length > 0)
                {
                    builder.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                builder.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return builder.ToString();
    }
}
