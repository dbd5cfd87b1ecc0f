using Lifeboat.Operations.Audit;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations;

/// <summary>What to restore from a database snapshot, and where.</summary>
public sealed record DatabaseRestoreRequest
{
    public required string Snapshot { get; init; }

    public required PgConnectionInfo Target { get; init; }

    /// <summary>
    /// Create the target database first (it must not exist). The restore loads under a staging name
    /// and renames it to the target once it succeeded (see <see cref="StagedDatabase"/>).
    /// </summary>
    public bool Create { get; init; }

    /// <summary>
    /// A failed restore keeps what it loaded, for inspection (the target then holds part of the
    /// snapshot and the failure says so), instead of dropping the database it created or emptying the target again.
    /// </summary>
    public bool KeepFailed { get; init; }

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
    TableRestoreResult? Table, RowRestoreResult? RowChanges, VerificationResult? Verification, GlobalsOutcome? Globals = null,
    RestoreAftermath? Aftermath = null);

/// <summary>Restores a database snapshot (whole, one table, or single rows) under a shared lock.</summary>
public sealed class DatabaseRestore(BackupRepository repository)
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
            Error = result.Verification is { Ok: false } v
                ? "verification failed: " + string.Join("; ", v.Mismatches.Take(5)) + (result.Aftermath is { } left ? ". " + left.Summary : "")
                : null,
            Details = new Dictionary<string, string> { ["mode"] = request.Rows is not null ? "rows" : request.Table is not null ? "table" : "database", ["verified"] = (result.Verification is not null).ToString() },
        }), cancellationToken, request.Target.Redact());

    private async Task<DatabaseRestoreResult> RunCoreAsync(DatabaseRestoreRequest request, CancellationToken cancellationToken)
    {
        var started = repository.Context.Time.GetTimestamp();

        // CREATE DATABASE (a few hundred ms: it copies template1) runs while the index and the manifest load.
        var creating = request.Create ? StageAsync() : Task.FromResult<StagedDatabase?>(null);
        async Task<StagedDatabase?> StageAsync() => await StagedDatabase.CreateAsync(request.Target, request.Snapshot, repository.Context.Notice, cancellationToken);
        await using var held = await WhileCreatingAsync(creating, () => Locks.AcquireAsync(repository, exclusive: false, "restore", cancellationToken));
        var (record, source, manifest) = await WhileCreatingAsync(creating, async () =>
        {
            var opened = await OpenAsync(repository, request.Snapshot, cancellationToken);
            if (request.Options.Globals)
                opened.Manifest.RequireGlobals($"Snapshot {opened.Record.ShortId}");
            return opened;
        });

        Source = source;
        Manifest = manifest;
        var staged = await creating;
        var into = staged?.Staging ?? request.Target;

        var restore = new PostgresRestore();
        TableRestoreResult? table = null;
        RowRestoreResult? rows = null;
        VerificationResult? verification = null;
        RestoreAftermath? aftermath = null;
        try
        {
            if (request.Rows is not null)
            {
                rows = await restore.RestoreRowsAsync(source, manifest, into, request.Rows, cancellationToken);
            }
            else if (request.Table is not null)
            {
                table = await restore.RestoreTableAsync(source, manifest, into, request.Table, cancellationToken);
            }
            else
            {
                await restore.RestoreAsync(source, manifest, into, request.Options, cancellationToken, request.TargetConnection);
                if (request.Verify)
                {
                    // before the rename: a restore that does not hold the snapshot's rows is a failed one
                    verification = await PostgresVerifier.VerifyAsync(into, manifest, cancellationToken);
                }
            }

            if (verification is { Ok: false })
            {
                aftermath = await RestoreFailure.AbandonAsync(staged, restore, request, manifest, "verification failed");
            }
            else if (staged is not null)
            {
                // Ctrl-C during the last of the load may have reached no await that checks it: never commit after it
                cancellationToken.ThrowIfCancellationRequested();
                await staged.CommitAsync(cancellationToken);
            }
        }
        catch (Exception failure) when (failure is not RestoreAbandonedException)
        {
            // Ctrl-C while a COPY runs surfaces as the driver's broken write: the cause is the interruption
            var cause = cancellationToken.IsCancellationRequested && failure is not OperationCanceledException
                ? new OperationCanceledException("interrupted", failure, cancellationToken)
                : failure;
            var left = await RestoreFailure.AbandonAsync(staged, restore, request, manifest, cause is OperationCanceledException ? "interrupted" : cause.Message);
            if (left is not null)
            {
                throw new RestoreAbandonedException(cause, left);
            }

            if (cause == failure)
            {
                throw;
            }

            throw cause;
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
            restore.Globals,
            aftermath);
    }

    /// <summary>Finds a database snapshot and opens it as a restore source with its manifest.</summary>
    public static async Task<(SnapshotRecord Record, SnapshotStreamSource Source, BackupManifest Manifest)> OpenAsync(
        BackupRepository repository, string snapshot, CancellationToken cancellationToken)
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
    /// Runs <paramref name="step"/> while <paramref name="creating"/> creates the staging database: when
    /// the step fails, the database just created (still empty) is dropped again, and the step's
    /// failure is what is reported.
    /// </summary>
    private static async Task<T> WhileCreatingAsync<T>(Task<StagedDatabase?> creating, Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch
        {
            try
            {
                if (await creating is { } staged)
                    await staged.TryDropAsync();
            }
            catch (Exception)
            {
                // not created (e.g. the target exists already): the step's failure matters more
            }
            throw;
        }
    }
}
