using Microsoft.Extensions.Logging;

namespace Lifeboat.Postgres;

/// <summary>Source-generated log messages. Connections appear only in redacted form.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Capturing {Database} (PostgreSQL {ServerVersion}) with {Jobs} jobs, pg_dump {PgDump}")]
    public static partial void CaptureStarting(ILogger logger, string database, string serverVersion, int jobs, string pgDump);

    [LoggerMessage(2, LogLevel.Information, "Snapshot {Snapshot} at WAL {Lsn}: {Tables} tables, {Sequences} sequences, {LargeObjects} large objects")]
    public static partial void SnapshotExported(ILogger logger, string snapshot, string? lsn, int tables, int sequences, int largeObjects);

    [LoggerMessage(3, LogLevel.Debug, "Copied {Table}: {Rows} rows, {Bytes} bytes")]
    public static partial void TableCopied(ILogger logger, string table, long rows, long bytes);

    [LoggerMessage(4, LogLevel.Warning, "Globals were not captured: {Reason}")]
    public static partial void GlobalsSkipped(ILogger logger, string reason);

    [LoggerMessage(5, LogLevel.Information, "Capture done: {Tables} tables, {Bytes} bytes in {Elapsed}")]
    public static partial void CaptureDone(ILogger logger, int tables, long bytes, TimeSpan elapsed);

    [LoggerMessage(6, LogLevel.Information, "Restoring into {Target}: {Step}")]
    public static partial void RestoreStep(ILogger logger, string target, string step);

    [LoggerMessage(7, LogLevel.Debug, "Loaded {Table}: {Rows} rows, {Bytes} bytes")]
    public static partial void TableLoaded(ILogger logger, string table, long rows, long bytes);

    [LoggerMessage(8, LogLevel.Warning, "Dropping existing objects in {Target} (clean requested)")]
    public static partial void Cleaning(ILogger logger, string target);
}
