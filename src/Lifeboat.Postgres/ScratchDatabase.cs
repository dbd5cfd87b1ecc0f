using System.Text.RegularExpressions;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// A database a drill (or a subject search: subject show and export) creates on a scratch server for itself, restores into and drops afterwards. It is
/// created new (an existing database of that name is refused, so a drop can never take someone else's),
/// and dropped with <c>WITH (FORCE)</c> (PostgreSQL 13 and newer; before that, its sessions are ended first).
/// Its comment says which process drills into it: a drill killed outright leaves it behind, and the next
/// drill against the same server (on the same host) drops it once that process is gone.
/// Both connect to the server's maintenance database (<c>postgres</c>, or <c>template1</c> for a database named <c>postgres</c>).
/// </summary>
public sealed partial class ScratchDatabase
{
    private ScratchDatabase(PgConnectionInfo connection) => Connection = connection;

    /// <summary>The scratch database itself.</summary>
    public PgConnectionInfo Connection { get; }

    /// <summary>
    /// Creates <paramref name="target"/>'s database on its server, marked as the drill of <paramref name="snapshot"/> by
    /// this process. Scratch databases left there by drills that were killed on this host are dropped first, and
    /// <paramref name="notice"/> says so.
    /// </summary>
    /// <param name="purpose">What the database is for, in its comment and messages: <c>drill</c>, or <c>subject search</c> (subject show and export).</param>
    /// <exception cref="TargetNotEmptyException">A database of that name exists already.</exception>
    /// <exception cref="InsufficientPrivilegeException">The role may not create databases.</exception>
    public static async Task<ScratchDatabase> CreateAsync(PgConnectionInfo target, string snapshot, Action<string>? notice, CancellationToken cancellationToken,
        string purpose = "drill")
    {
        await using var connection = await ServerDatabase.OpenMaintenanceAsync(target, cancellationToken);
        await RemoveLeftoversAsync(connection, notice, cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(target.Database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            throw new TargetNotEmptyException(
                $"database \"{target.Database}\" exists already on the scratch server: the {purpose} {(purpose == "drill" ? "restores only into" : "uses only")} a database it creates itself; run it again (it picks a new name)");
        }

        await ServerDatabase.CreateAsync(connection, target.Database,
            $"role \"{target.User}\" may not create databases on the scratch server, and the {purpose} {(purpose == "drill" ? "restores into" : "uses")} a database it creates: ALTER ROLE {target.User} CREATEDB, or give --scratch a role that may",
            cancellationToken);
        try
        {
            await SetCommentAsync(connection, target.Database, Marker(snapshot, purpose), CancellationToken.None);
        }
        catch
        {
            await ServerDatabase.DropAsync(connection, target.Database, CancellationToken.None);
            throw;
        }

        return new ScratchDatabase(target);
    }

    /// <summary>Drops the database (if it still exists), ending its sessions.</summary>
    public async Task DropAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ServerDatabase.OpenMaintenanceAsync(Connection, cancellationToken);
        await ServerDatabase.DropAsync(connection, Connection.Database, cancellationToken);
    }

    /// <summary>Keeps the database (drill --keep): its comment no longer marks it as a drill's, which a later drill would remove.</summary>
    public async Task KeepAsync(string snapshot, CancellationToken cancellationToken)
    {
        await using var connection = await ServerDatabase.OpenMaintenanceAsync(Connection, cancellationToken);
        await SetCommentAsync(connection, Connection.Database, $"Kept by lifeboat drill --keep: snapshot {snapshot}, restored by the drill. Drop it when done.", cancellationToken);
    }

    /// <summary>Drops the scratch databases whose drill was killed on this host (its process no longer runs).</summary>
    private static async Task RemoveLeftoversAsync(NpgsqlConnection connection, Action<string>? notice, CancellationToken cancellationToken)
    {
        var left = new List<(string Database, string Purpose, ProcessMark By)>();
        await using (var command = new NpgsqlCommand(
            "SELECT datname, pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database " +
            "WHERE pg_catalog.shobj_description(oid, 'pg_database') LIKE 'Lifeboat % of snapshot %'", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (MarkerPattern().Match(reader.GetString(1)) is { Success: true } m && ProcessMark.Of(m) is { IsGone: true } by)
                    left.Add((reader.GetString(0), m.Groups["purpose"].Value, by));
            }
        }

        foreach (var (database, purpose, by) in left)
        {
            await ServerDatabase.DropAsync(connection, database, cancellationToken);
            notice?.Invoke($"removed database \"{database}\": an incomplete {purpose} left by process {by.ProcessId}, which ended without finishing");
        }
    }

    private static Task SetCommentAsync(NpgsqlConnection connection, string database, string comment, CancellationToken cancellationToken) =>
        CatalogReader.ExecuteAsync(connection, $"COMMENT ON DATABASE {Sql.Ident(database)} IS {Sql.Literal(comment)}", cancellationToken);

    private static string Marker(string snapshot, string purpose) =>
        $"Lifeboat {purpose} of snapshot {snapshot} ({ProcessMark.Current()}). If that process no longer runs, this is an incomplete {purpose}: drop it.";

    [GeneratedRegex(@"^Lifeboat (?<purpose>drill|subject search) of snapshot \S+ \(" + ProcessMark.Pattern + @"\)\.")]
    private static partial Regex MarkerPattern();
}
