using Lifeboat.Operations.Audit;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Restore;
using Npgsql;

namespace Lifeboat.Operations;

/// <summary>What to restore from a database snapshot, and where.</summary>
public sealed record DatabaseRestoreRequest
{
    public required string Snapshot { get; init; }

    public required PgConnectionInfo Target { get; init; }

    /// <summary>Create the target database first (it must not exist).</summary>
    public bool Create { get; init; }

    public RestoreOptions Options { get; init; } = new();

    /// <summary>Restore only this table (side by side, swapped, or its missing rows).</summary>
    public TableRestoreOptions? Table { get; init; }

    /// <summary>Restore only the rows of <see cref="Table"/> that match (with its conflict rule).</summary>
    public RowRestoreOptions? Rows { get; init; }

    /// <summary>After a whole restore, re-read every table and compare rows and SHA-256 with the manifest.</summary>
    public bool Verify { get; init; }

    /// <summary>
    /// For a whole restore into an existing database: a connection to <see cref="Target"/> opened while
    /// the repository was opened. The restore takes it; the caller disposes it (a no-op once taken).
    /// </summary>
    public EarlyConnection? TargetConnection { get; init; }
}

/// <summary>The outcome of a restore.</summary>
public sealed record DatabaseRestoreResult(
    string SnapshotId, string Target, int Tables, long Rows, long Bytes, double Seconds,
    TableRestoreResult? Table, RowRestoreResult? RowChanges, VerificationResult? Verification, GlobalsOutcome? Globals = null);

/// <summary>Restores a database snapshot (whole, one table, or single rows) under a shared lock.</summary>
public sealed class DatabaseRestore(Repository.Repository repository)
{
    /// <summary>Set once the snapshot is open: bytes handed to PostgreSQL so far.</summary>
    public SnapshotStreamSource? Source { get; private set; }

    /// <summary>Set once the manifest is read.</summary>
    public BackupManifest? Manifest { get; private set; }

    /// <summary>Restores, and appends an audit record (a failure is audited too).</summary>
    public Task<DatabaseRestoreResult> RunAsync(DatabaseRestoreRequest request, CancellationToken cancellationToken) =>
        OperationAudit.RunAsync(repository, "restore", ct => RunCoreAsync(request, ct), (result, _) => Task.FromResult(new AuditFacts
        {
            Source = request.Target.Redact(),
            Snapshots = [result.SnapshotId],
            Bytes = result.Bytes,
            Failed = result.Verification is { Ok: false },
            Error = result.Verification is { Ok: false } v ? "verification failed: " + string.Join("; ", v.Mismatches.Take(5)) : null,
            Details = new Dictionary<string, string> { ["mode"] = request.Rows is not null ? "rows" : request.Table is not null ? "table" : "database", ["verified"] = (result.Verification is not null).ToString() },
        }), cancellationToken, request.Target.Redact());

    private async Task<DatabaseRestoreResult> RunCoreAsync(DatabaseRestoreRequest request, CancellationToken cancellationToken)
    {
        var started = repository.Context.Time.GetTimestamp();

        // CREATE DATABASE (a few hundred ms: it copies template1) runs while the index and the manifest load.
        var creating = request.Create ? CreateDatabaseAsync(request.Target, cancellationToken) : Task.CompletedTask;
        SnapshotRecord record;
        SnapshotStreamSource source;
        BackupManifest manifest;
        await using var held = await WhileCreatingAsync(
            request.Create, creating, request.Target, () => Locks.AcquireAsync(repository, exclusive: false, "restore", cancellationToken));
        (record, source, manifest) = await WhileCreatingAsync(request.Create, creating, request.Target, async () =>
        {
            var opened = await OpenAsync(repository, request.Snapshot, cancellationToken);
            if (request.Options.Globals && opened.Manifest.Globals is null)
                throw new InvalidRestoreRequestException(
                    $"Snapshot {opened.Record.ShortId} holds no roles or tablespaces: it was taken without --globals (or the server did not allow reading them). Restore without --globals.");
            return opened;
        });

        Source = source;
        Manifest = manifest;
        await creating;


        var restore = new PostgresRestore();
        TableRestoreResult? table = null;
        RowRestoreResult? rows = null;
        VerificationResult? verification = null;
        if (request.Rows is not null)
        {
            rows = await restore.RestoreRowsAsync(source, manifest, request.Target, request.Rows, cancellationToken);
        }
        else if (request.Table is not null)
        {
            table = await restore.RestoreTableAsync(source, manifest, request.Target, request.Table, cancellationToken);
        }
        else
        {
            await restore.RestoreAsync(source, manifest, request.Target, request.Options, cancellationToken, request.TargetConnection);
            if (request.Verify)
            {
                verification = await PostgresVerifier.VerifyAsync(request.Target, manifest, cancellationToken);
            }
        }

        var elapsed = repository.Context.Time.GetElapsedTime(started);
        return new DatabaseRestoreResult(
            record.Id.ToString(),
            request.Target.Redact(),
            manifest.Tables.Count,
            manifest.Tables.Sum(t => t.Rows),
            manifest.TotalDataBytes,
            elapsed.TotalSeconds,
            table,
            rows,
            verification,
            restore.Globals);
    }

    /// <summary>Finds a database snapshot and opens it as a restore source with its manifest.</summary>
    public static async Task<(SnapshotRecord Record, SnapshotStreamSource Source, BackupManifest Manifest)> OpenAsync(
        Repository.Repository repository, string snapshot, CancellationToken cancellationToken)
    {
        // the index loads while the snapshot is found (both only read the repository)
        var loading = Task.Run(() => MasterIndex.LoadAsync(repository, cancellationToken), cancellationToken);
        SnapshotRecord record;
        try
        {
            record = await SnapshotStore.FindAsync(repository, snapshot, cancellationToken);
            if (record.Snapshot.Kind != DatabaseBackup.Kind)
            {
                throw new InvalidRequestException(
                    $"snapshot {record.ShortId} holds a stream ('{record.Snapshot.Source}'), not a database: use 'lifeboat dump {record.ShortId} NAME' to get it back");
            }
        }
        catch
        {
            // the snapshot's error is the one to report
            await ((Task)loading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        var index = await loading;
        var source = new SnapshotStreamSource(new BlobReader(repository, index), record.Snapshot);
        var manifest = await BackupManifest.ReadAsync(source, cancellationToken);
        return (record, source, manifest);
    }

    /// <summary>
    /// Runs <paramref name="step"/> while <paramref name="creating"/> creates the target database: when
    /// the step fails, the database just created (still empty) is dropped again, and the step's
    /// failure is what is reported.
    /// </summary>
    private static async Task<T> WhileCreatingAsync<T>(bool create, Task creating, PgConnectionInfo target, Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch
        {
            try
            {
                if (create)
                {
                    await creating;
                    await DropDatabaseAsync(target);
                }
            }
            catch (Exception)
            {
                // not created (e.g. it exists already) or not dropped: the step's failure matters more
            }
            throw;
        }
    }

    private static async Task DropDatabaseAsync(PgConnectionInfo target)
    {
        var maintenance = target.WithDatabase(target.Database == "postgres" ? "template1" : "postgres");
        await using var connection = await PgErrors.OpenAsync(maintenance, CancellationToken.None);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Sql.Ident(target.Database)}", connection);
        await drop.ExecuteNonQueryAsync(CancellationToken.None);
    }

    /// <summary>CREATE DATABASE on the target's server, connecting to its maintenance database.</summary>
    public static async Task CreateDatabaseAsync(PgConnectionInfo target, CancellationToken cancellationToken)
    {
        var maintenance = target.WithDatabase(target.Database == "postgres" ? "template1" : "postgres");
        await using var connection = await PgErrors.OpenAsync(maintenance, cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(target.Database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            throw new TargetNotEmptyException(
                $"database \"{target.Database}\" exists already: leave out --create to restore into it (it must be empty, or use --clean), or choose another name");
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE {Sql.Ident(target.Database)}", connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InsufficientPrivilegeException(
                $"role \"{target.User}\" may not create databases: create \"{target.Database}\" first (CREATE DATABASE ... OWNER {target.User}) and leave out --create, or ALTER ROLE {target.User} CREATEDB", e);
        }
    }
}
