namespace Lifeboat.Postgres;

/// <summary>Base of every failure this library reports on purpose. The message says what failed and what to do.</summary>
public class PostgresLifeboatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PostgresLifeboatException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The server could not be reached (refused, unknown host, timeout).</summary>
public sealed class DatabaseUnreachableException(string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException);

/// <summary>The server rejected the credentials (SQLSTATE 28P01 / 28000).</summary>
public sealed class AuthenticationFailedException(string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException);

/// <summary>The named database does not exist (SQLSTATE 3D000).</summary>
public sealed class DatabaseNotFoundException(string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException);

/// <summary>The role lacks a privilege (SQLSTATE 42501); the message names the object and the GRANT needed.</summary>
public sealed class InsufficientPrivilegeException(string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException);

/// <summary>No pg_dump / pg_restore / psql of the server's major version or newer was found.</summary>
public sealed class PgToolNotFoundException(string message, int requiredMajorVersion)
    : PostgresLifeboatException(message)
{
    /// <summary>The minimum major version the tools must have.</summary>
    public int RequiredMajorVersion { get; } = requiredMajorVersion;
}

/// <summary>A child process (pg_dump, pg_restore, ...) failed; the message carries its stderr.</summary>
public sealed class PgToolFailedException(string message, int exitCode, string standardError)
    : PostgresLifeboatException(message)
{
    /// <summary>The process's exit code.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>The tail of what the process wrote to stderr.</summary>
    public string StandardError { get; } = standardError;
}

/// <summary>The restore target already holds objects and no clean was requested.</summary>
public sealed class TargetNotEmptyException(string message) : PostgresLifeboatException(message);

/// <summary>A restore step failed; <see cref="ObjectName"/> names the table, sequence or object involved.</summary>
public sealed class RestoreFailedException(string objectName, string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException)
{
    /// <summary>The object that failed (e.g. <c>"public"."orders"</c>).</summary>
    public string ObjectName { get; } = objectName;
}

/// <summary>A table named for a selective restore is not in the backup.</summary>
public sealed class TableNotInBackupException(string message) : PostgresLifeboatException(message);

/// <summary>A selective restore was asked for something it cannot do (ambiguous name, options that do not go together, a table without rows).</summary>
public sealed class InvalidRestoreRequestException(string message) : PostgresLifeboatException(message);

/// <summary>A stored stream does not match its manifest entry (size or SHA-256).</summary>
public sealed class BackupIntegrityException(string message, Exception? innerException = null) : PostgresLifeboatException(message, innerException);

/// <summary>A capture step failed for a reason not covered by a more specific exception.</summary>
public sealed class CaptureFailedException(string message, Exception? innerException = null)
    : PostgresLifeboatException(message, innerException);
