using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;

namespace Lifeboat.Agent.Jobs;

/// <summary>
/// How the agent opens a repository of its plan file: the CLI wires the storage backends (the agent never names
/// S3, Azure or SFTP). <c>password</c> is asked for only when the repository is opened, and throws a
/// <see cref="PlanSecretException"/> when the plan's password file or variable is missing. Whoever opens a repository
/// through the returned opener disposes it (the agent's jobs do, when the job ends).
/// </summary>
public interface IRepositoryOpeners
{
    /// <summary>An opener for <paramref name="repository"/>, with its password from <paramref name="password"/>.</summary>
    IRepositoryOpener For(RepositorySettings repository, Func<string> password);
}

/// <summary>A secret the plan file names cannot be had: the message names the repository or source and the file or variable, never a value.</summary>
public sealed class PlanSecretException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>The passwords a plan file names: a <c>password_file</c>'s first line, or a <c>${VARIABLE}</c>.</summary>
public static class PlanSecrets
{
    /// <summary>The password of <paramref name="repository"/>.</summary>
    public static string RepositoryPassword(RepositorySettings repository, Func<string, string?> environment)
    {
        if (repository.PasswordFile is { } file)
        {
            return FirstLine(file, $"repository {repository.Name}");
        }

        if (repository.Password is not { } reference)
        {
            throw new PlanSecretException($"repository {repository.Name}: the plan file gives no password_file or password");
        }

        try
        {
            return reference.Resolve(environment);
        }
        catch (InvalidOperationException)
        {
            throw new PlanSecretException($"repository {repository.Name}: the environment variable {reference.Name} named by its password is not set");
        }
    }

    /// <summary>The password of <paramref name="source"/> from its <c>password_file</c>; null without one (then PGPASSWORD or .pgpass, as libpq).</summary>
    public static string? SourcePassword(SourceSettings source) =>
        source.PasswordFile is { } file ? FirstLine(file, $"source {source.Name}") : null;

    private static string FirstLine(string path, string owner)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlanSecretException($"{owner}: cannot read its password_file {path}: {e.Message}", e);
        }

        var line = text.Split('\n')[0].TrimEnd('\r');
        return line.Length > 0 ? line : throw new PlanSecretException($"{owner}: its password_file {path} is empty");
    }
}
