using System.Text.RegularExpressions;
using Npgsql;

namespace Lifeboat.Postgres;

/// <summary>
/// The database a <c>restore --create</c> makes: loaded under a staging name
/// (<c>TARGET__lifeboat_restoring</c>) whose comment says which process restores into it, and
/// renamed to the target (comment removed, in one transaction) only once the restore succeeded.
/// A restore that fails drops it (or keeps it as the target, marked incomplete); one killed
/// outright leaves only the staging database, never a target that looks restored, and the next
/// restore into the same target removes it.
/// </summary>
public sealed partial class StagedDatabase
{
    private const string Suffix = "__lifeboat_restoring";
    private readonly string _marker;

    private StagedDatabase(PgConnectionInfo target, string marker)
    {
        Target = target;
        Staging = target.WithDatabase(StagingName(target.Database));
        _marker = marker;
    }

    /// <summary>The database the caller asked for; it exists only once <see cref="CommitAsync"/> ran.</summary>
    public PgConnectionInfo Target { get; }

    /// <summary>Where the restore loads until it succeeded.</summary>
    public PgConnectionInfo Staging { get; }

    /// <summary><c>TARGET__lifeboat_restoring</c>, the target's name shortened to fit PostgreSQL's 63 bytes.</summary>
    public static string StagingName(string target)
    {
        var max = 63 - Suffix.Length;
        var name = target;
        while (System.Text.Encoding.UTF8.GetByteCount(name) > max)
            name = name[..^1];
        return name + Suffix;
    }

    /// <summary>
    /// Creates the staging database for <paramref name="target"/>, which must not exist. A staging
    /// database left by a restore that was killed on this host is dropped first, and
    /// <paramref name="notice"/> says so; one whose restore still runs is refused.
    /// </summary>
    public static async Task<StagedDatabase> CreateAsync(PgConnectionInfo target, string snapshot, Action<string>? notice, CancellationToken cancellationToken)
    {
        var staged = new StagedDatabase(target, Marker(target.Database, snapshot));
        await using var connection = await ServerDatabase.OpenMaintenanceAsync(target, cancellationToken);
        if (await CommentOfAsync(connection, target.Database, cancellationToken) is not null)
        {
            throw new TargetNotEmptyException(
                $"database \"{target.Database}\" exists already: leave out --create to restore into it (it must be empty, or use --clean), or choose another name");
        }

        var staging = staged.Staging.Database;
        if (await CommentOfAsync(connection, staging, cancellationToken) is { } comment)
        {
            var left = LeftBy(comment);
            if (left is not { IsGone: true })
            {
                var who = left is null ? "not by a Lifeboat restore" : $"by process {left.Value.ProcessId} on {left.Value.Host}, which {(left.Value.IsHere ? "still runs" : "may still run")}";
                throw new TargetNotEmptyException(
                    $"database \"{staging}\" exists ({who}): another restore into \"{target.Database}\" is under way, or was left unfinished. " +
                    $"Wait for it, or if it no longer runs, DROP DATABASE \"{staging}\" and restore again.");
            }

            await ServerDatabase.DropAsync(connection, staging, cancellationToken);
            notice?.Invoke($"removed database \"{staging}\": an incomplete restore left by process {left.Value.ProcessId}, which ended without finishing");
        }

        await ServerDatabase.CreateAsync(connection, staging,
            $"role \"{target.User}\" may not create databases: create \"{target.Database}\" first (CREATE DATABASE ... OWNER {target.User}) and leave out --create, or ALTER ROLE {target.User} CREATEDB",
            cancellationToken);

        try
        {
            await CatalogReader.ExecuteAsync(connection, $"COMMENT ON DATABASE {Sql.Ident(staging)} IS {Sql.Literal(staged._marker)}", CancellationToken.None);
        }
        catch
        {
            await ServerDatabase.DropAsync(connection, staging, CancellationToken.None);
            throw;
        }

        return staged;
    }

    /// <summary>Renames the staging database to the target and removes its comment, in one transaction.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ServerDatabase.OpenMaintenanceAsync(Target, cancellationToken);
        try
        {
            await CatalogReader.ExecuteAsync(connection,
                $"BEGIN; ALTER DATABASE {Sql.Ident(Staging.Database)} RENAME TO {Sql.Ident(Target.Database)}; COMMENT ON DATABASE {Sql.Ident(Target.Database)} IS NULL; COMMIT",
                cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            throw new TargetNotEmptyException(
                $"database \"{Target.Database}\" was created by someone else while this restore ran: the restored data is in \"{Staging.Database}\"; drop one and rename the other");
        }
    }

    /// <summary>Drops the staging database (the restore failed); returns why it could not, or null.</summary>
    public async Task<string?> TryDropAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await using var connection = await ServerDatabase.OpenMaintenanceAsync(Target, timeout.Token);
            await ServerDatabase.DropAsync(connection, Staging.Database, timeout.Token);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or PostgresLifeboatException or OperationCanceledException or IOException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Keeps the failed restore for inspection: renamed to the target, its comment saying that it is
    /// incomplete. Returns the name it is kept under (the staging name where the rename failed).
    /// </summary>
    public async Task<string> KeepAsync(string why)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var comment = $"INCOMPLETE: a Lifeboat restore failed here ({why}) and was kept by --keep-failed for inspection. It does not hold the whole snapshot.";
        try
        {
            await using var connection = await ServerDatabase.OpenMaintenanceAsync(Target, timeout.Token);
            await CatalogReader.ExecuteAsync(connection,
                $"BEGIN; ALTER DATABASE {Sql.Ident(Staging.Database)} RENAME TO {Sql.Ident(Target.Database)}; COMMENT ON DATABASE {Sql.Ident(Target.Database)} IS {Sql.Literal(comment)}; COMMIT",
                timeout.Token);
            return Target.Database;
        }
        catch (Exception e) when (e is NpgsqlException or PostgresLifeboatException or OperationCanceledException or IOException)
        {
            return Staging.Database;
        }
    }

    /// <summary>The database's comment ("" when it has none), or null when it does not exist.</summary>
    private static async Task<string?> CommentOfAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(pg_catalog.shobj_description(oid, 'pg_database'), '') FROM pg_catalog.pg_database WHERE datname = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private static string Marker(string target, string snapshot) =>
        $"Lifeboat is restoring snapshot {snapshot} into \"{target}\" here ({ProcessMark.Current()}). If that process no longer runs, this is an incomplete restore: drop it.";

    private static ProcessMark? LeftBy(string comment) => MarkerPattern().Match(comment) is { Success: true } m ? ProcessMark.Of(m) : null;

    [GeneratedRegex(@"^Lifeboat is restoring snapshot \S+ into "".*"" here \(" + ProcessMark.Pattern + @"\)\.")]
    private static partial Regex MarkerPattern();
}
