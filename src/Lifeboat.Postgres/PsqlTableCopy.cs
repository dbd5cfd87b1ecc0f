using System.Text.RegularExpressions;

namespace Lifeboat.Postgres;

/// <summary>
/// Reads one table's <c>COPY ... TO STDOUT</c> through a <c>psql</c> child process that joins the
/// capture's exported snapshot. The server sends one protocol message per row; libpq (in psql)
/// takes them at about a third of the CPU Npgsql needs, and does it in its own process, beside the
/// chunking and compression. Used for large tables, where a process start per table is nothing;
/// the bytes are exactly those the worker's own connection would read (UTF-8, ISO dates).
/// </summary>
internal static partial class PsqlTableCopy
{
    /// <summary>Session settings of every COPY reader (also the worker connections'): what makes the text output portable.</summary>
    public const string SessionSettings =
        "SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0; SET row_security = off; SET synchronize_seqscans = off; " +
        "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; " +
        // a table read in key order is read by its primary key's index, never sorted (see CatalogReader.OrderKeySql)
        "SET enable_sort = off";

    public static async Task<(StoredStream Stored, long Rows, string RowsDigest)> CopyAsync(PgToolset tools, IReadOnlyDictionary<string, string> environment,
        string snapshotId, CatalogTable table, bool ordered, string streamName, IStreamSink sink, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var qualified = Sql.Qualify(table.Schema, table.Name);
        string[] args =
        [
            "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
            "-c", SessionSettings,
            "-c", "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            "-c", "SET TRANSACTION SNAPSHOT " + Sql.Literal(snapshotId),
            "-c", $"COPY {table.CopySource(ordered)} TO STDOUT",
            "-c", "COMMIT",
        ];
        var env = new Dictionary<string, string>(environment, StringComparer.Ordinal) { ["PGCLIENTENCODING"] = "UTF8" };
        // psql writes COPY rows through stdio, which buffers only 4 KiB for a pipe: 70k writes (and as many
        // wake-ups here) per 300 MB. coreutils' stdbuf gives it a 1 MiB buffer: a few hundred writes.
        var (program, arguments) = Stdbuf is { } stdbuf ? (stdbuf, new[] { "-o", "1M", tools.Psql }.Concat(args)) : (tools.Psql, args.AsEnumerable());
        StoredStream? stored = null;
        long rows = 0;
        var rowsDigest = "";
        try
        {
            await ChildProcess.RunAsync(program, arguments, env, async (stdout, ct) =>
            {
                await using var counting = new HashingReadStream(stdout, progress.AddBytes, sha256: false, rowDigest: true);
                stored = await PostgresCapture.StoreAsync(sink, streamName, counting, ct);
                rows = counting.Newlines;
                rowsDigest = counting.RowsDigest;
            }, null, cancellationToken);
        }
        catch (PgToolFailedException ex)
        {
            throw Map(ex, qualified);
        }

        return (stored!, rows, rowsDigest);
    }

    private static string? Stdbuf { get; } = new[] { "/usr/bin/stdbuf", "/bin/stdbuf" }.FirstOrDefault(File.Exists);

    /// <summary>Turns psql's verbose error (<c>ERROR:  42501: permission denied for table t</c>) into the capture's typed errors.</summary>
    internal static Exception Map(PgToolFailedException ex, string qualified)
    {
        var m = ErrorRegex().Match(ex.StandardError);
        if (!m.Success)
            return new CaptureFailedException($"COPY of {qualified} through psql failed: {ex.Message}", ex);
        var (state, text) = (m.Groups[1].Value, m.Groups[2].Value.Trim());
        if (state == "42501")
        {
            var hint = text.Contains("row-level security", StringComparison.Ordinal)
                ? "The table has FORCE ROW LEVEL SECURITY: capture with a role that has BYPASSRLS (or a superuser), or ALTER TABLE ... NO FORCE ROW LEVEL SECURITY."
                : $"Grant it: GRANT SELECT ON {qualified} TO <backup role>;";
            return new InsufficientPrivilegeException($"COPY failed: permission denied on {qualified} ({text}). {hint}", ex);
        }

        return new CaptureFailedException($"COPY failed on {qualified}: {state} {text}", ex);
    }

    [GeneratedRegex(@"(?:ERROR|FATAL):\s+([0-9A-Z]{5}):\s*(.*)")]
    private static partial Regex ErrorRegex();
}
