using System.Text;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>What restoring the roles and tablespaces did.</summary>
/// <param name="Applied">Statements of the script that ran.</param>
/// <param name="Existed">What was there already (a role or tablespace of that name): left as it is.</param>
public sealed record GlobalsOutcome(int Applied, IReadOnlyList<string> Existed);

/// <summary>
/// Applies the roles, memberships and tablespaces a capture took with <c>backup --globals</c>
/// (<c>pg_dumpall --globals-only --no-role-passwords</c>) to the target's cluster, before the schema,
/// so that owners and grants exist. One statement at a time, each on its own (CREATE TABLESPACE
/// cannot run in a transaction), like psql without ON_ERROR_STOP: a role or tablespace that exists
/// already is reported and kept (pg_dumpall always creates the role it ran as, which the target
/// has too); any other failure (not allowed to create roles, a tablespace's directory missing) is
/// collected, and the restore stops with all of them before anything of the database is restored.
/// </summary>
internal static class GlobalsRestore
{
    private const string DuplicateObject = "42710";

    public static async Task<GlobalsOutcome> ApplyAsync(NpgsqlConnection connection, IStreamSource source, StreamEntry globals, string where, CancellationToken cancellationToken)
    {
        var script = await ReadVerifiedAsync(source, globals, cancellationToken);
        var applied = 0;
        var existed = new List<string>();
        var failed = new List<string>();
        foreach (var statement in Statements(script))
        {
            try
            {
                await using var command = new NpgsqlCommand(statement, connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync(cancellationToken);
                applied++;
            }
            catch (PostgresException ex) when (ex.SqlState == DuplicateObject)
            {
                existed.Add(ex.MessageText);
            }
            catch (PostgresException ex)
            {
                failed.Add($"{Shorten(statement)}: {ex.SqlState} {ex.MessageText}");
            }
        }

        if (failed.Count > 0)
        {
            throw new RestoreFailedException("roles and tablespaces",
                $"Restoring the roles and tablespaces into {where} failed: {failed.Count} statement(s) of the snapshot's globals.sql were refused " +
                $"({string.Join("; ", failed.Take(5))}{(failed.Count > 5 ? "; ..." : "")}). Nothing of the database was restored. Fix what the errors " +
                "name (e.g. a restoring role allowed to create roles, the tablespace directories), or create them by hand " +
                "(lifeboat dump SNAPSHOT globals.sql prints the script), or restore without --globals (with --no-owner if the roles are missing).");
        }

        return new GlobalsOutcome(applied, existed);
    }

    private static async Task<string> ReadVerifiedAsync(IStreamSource source, StreamEntry globals, CancellationToken cancellationToken)
    {
        // whole and verified before a statement runs: it is small
        await using var input = await source.OpenStreamAsync(globals.Stream, cancellationToken);
        await using var hashing = new HashingReadStream(input);
        using var buffer = new MemoryStream();
        await hashing.CopyToAsync(buffer, cancellationToken);
        if (hashing.BytesRead != globals.Bytes || hashing.Sha256Hex() != globals.Sha256)
            throw new BackupIntegrityException($"The globals stream {globals.Stream} does not match the manifest (size or SHA-256): the backup is damaged.");
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Shorten(string statement)
    {
        var line = statement.ReplaceLineEndings(" ");
        return line.Length <= 80 ? line : line[..77] + "...";
    }

    /// <summary>
    /// The SQL statements of a pg_dumpall script, without comments and psql meta-commands (such as
    /// <c>\restrict</c>), split at semicolons outside quotes.
    /// </summary>
    internal static List<string> Statements(string script)
    {
        var statements = new List<string>();
        var current = new StringBuilder();
        var (inString, inIdentifier, lineStart) = (false, false, true);
        for (var i = 0; i < script.Length; i++)
        {
            var c = script[i];
            if (!inString && !inIdentifier)
            {
                if (lineStart && c == '\\' && current.ToString().Trim().Length == 0)
                {
                    i = SkipLine(script, i);
                    continue;
                }
                if (c == '-' && i + 1 < script.Length && script[i + 1] == '-')
                {
                    i = SkipLine(script, i);
                    lineStart = true;
                    current.Append('\n');
                    continue;
                }
                if (c == ';')
                {
                    var statement = current.ToString().Trim();
                    if (statement.Length > 0)
                        statements.Add(statement);
                    current.Clear();
                    lineStart = false;
                    continue;
                }
            }
            if (c == '\'' && !inIdentifier)
                inString = !inString;
            else if (c == '"' && !inString)
                inIdentifier = !inIdentifier;
            current.Append(c);
            lineStart = c == '\n';
        }

        if (current.ToString().Trim() is { Length: > 0 } rest)
            statements.Add(rest);
        return statements;
    }

    private static int SkipLine(string script, int from)
    {
        var end = script.IndexOf('\n', from);
        return end < 0 ? script.Length : end;
    }
}
