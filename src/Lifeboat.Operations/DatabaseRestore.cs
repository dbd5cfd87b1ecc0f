using System.Diagnostics;
using Lifeboat.Operations.Audit;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations;

/// <summary>
/// Restores a database snapshot (whole, one table, or single rows) under a shared lock, and does all of
/// its work: while the repository opens (its key derivation takes a few hundred milliseconds) it reads
/// pg_restore's version and, for a whole restore into an existing database, connects to the target.
/// </summary>
public sealed class DatabaseRestore(IRepositoryOpener opener)
{
    /// <summary>Restores, and appends an audit record (a failure is audited too).</summary>
    public async Task<DatabaseRestoreResult> RunAsync(DatabaseRestoreRequest request, IProgress<RestoreProgress>? progress, CancellationToken cancellationToken)
    {
        // pg_restore's version is read while the repository opens (a row restore needs no client tool)
        if (request.Mode is RestoreMode.WholeDatabase whole)
            PgToolset.Prefetch(whole.Options.PgBinDirectory);
        else if (request.Mode is RestoreMode.OneTable table)
            PgToolset.Prefetch(table.Options.PgBinDirectory);

        // a whole restore into an existing database connects to it (and lists what it holds) meanwhile too
        await using var early = request.Mode is RestoreMode.WholeDatabase && !request.Create
            ? EarlyConnection.Open(request.Target, cancellationToken)
            : null;
        var reporter = new Reporter(progress);
        reporter.Enter(RestorePhase.OpeningSnapshot, 0, null);
        var repository = await opener.OpenAsync(cancellationToken);
        return await OperationAudit.RunAsync(
            repository, "restore", ct => RunCoreAsync(repository, request, early, reporter, ct), (result, _) => Task.FromResult(Facts(request, result)),
            cancellationToken, request.Target.Redact());
    }

    private static async Task<DatabaseRestoreResult> RunCoreAsync(
        BackupRepository repository, DatabaseRestoreRequest request, EarlyConnection? early, Reporter reporter, CancellationToken cancellationToken)
    {
        var started = repository.Context.Time.GetTimestamp();

        // CREATE DATABASE (a few hundred ms: it copies template1) runs while the index and the manifest load.
        var creating = request.Create ? StageAsync(repository, request, cancellationToken) : Task.FromResult<StagedDatabase?>(null);
        await using var held = await WhileCreatingAsync(creating, () => Locks.AcquireAsync(repository, exclusive: false, "restore", cancellationToken));
        var (record, source, manifest) = await WhileCreatingAsync(creating, () => OpenSnapshotAsync(repository, request, reporter, cancellationToken));
        reporter.Enter(RestorePhase.Restoring, source.BytesRead, manifest.TotalDataBytes);
        var staged = await creating;
        var replay = await Changes.PointInTimeRestore.PrepareAsync(repository, record, request, cancellationToken);

        var loaded = await LoadAsync(request, source, manifest, staged, early, reporter, replay, cancellationToken);
        var elapsed = repository.Context.Time.GetElapsedTime(started);
        return new DatabaseRestoreResult(
            record.Id.ToString(),
            request.Target.Redact(),
            manifest.Tables.Count,
            manifest.Tables.Sum(t => t.Rows),
            manifest.TotalDataBytes,
            elapsed.TotalSeconds,
            loaded.Table,
            loaded.Rows,
            loaded.Verification,
            loaded.Globals,
            loaded.Aftermath) { Replay = loaded.Replay };
    }

    private static async Task<StagedDatabase?> StageAsync(BackupRepository repository, DatabaseRestoreRequest request, CancellationToken cancellationToken) =>
        await StagedDatabase.CreateAsync(request.Target, request.Snapshot, repository.Context.Notice, cancellationToken);

    private static async Task<(SnapshotRecord Record, SnapshotStreamSource Source, BackupManifest Manifest)> OpenSnapshotAsync(
        BackupRepository repository, DatabaseRestoreRequest request, Reporter reporter, CancellationToken cancellationToken)
    {
        var opened = await OpenAsync(repository, request.Snapshot, reporter.BytesRead, cancellationToken);
        if (request.Mode is RestoreMode.WholeDatabase { Options.Globals: true })
            opened.Manifest.RequireGlobals($"Snapshot {opened.Record.ShortId}");
        return opened;
    }

    /// <summary>
    /// Loads the snapshot into the target (or the staging database), and commits the staging database
    /// once the load (and the verification) succeeded. After a failure, <see cref="RestoreFailure"/>
    /// cleans up: a failed verification is returned with what it left, anything else is thrown.
    /// </summary>
    private static async Task<Loaded> LoadAsync(
        DatabaseRestoreRequest request, SnapshotStreamSource source, BackupManifest manifest, StagedDatabase? staged, EarlyConnection? early,
        Reporter reporter, Changes.PointInTimeRestore? replay, CancellationToken cancellationToken)
    {
        var restore = new PostgresRestore();
        try
        {
            var loaded = await RestoreModeAsync(restore, request, source, manifest, staged?.Staging ?? request.Target, early, reporter, cancellationToken);
            if (loaded.Verification is { Ok: false })
            {
                return loaded with { Aftermath = await RestoreFailure.AbandonAsync(staged, restore, request, manifest, "verification failed") };
            }

            if (replay is not null)
            {
                loaded = loaded with { Replay = await replay.ReplayAsync(staged?.Staging ?? request.Target, cancellationToken) };
            }

            if (staged is not null)
            {
                // Ctrl-C during the last of the load may have reached no await that checks it: never commit after it
                cancellationToken.ThrowIfCancellationRequested();
                await staged.CommitAsync(cancellationToken);
            }

            return loaded;
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
    }

    /// <summary>The load itself, as the mode says; a whole restore is verified here, before any rename.</summary>
    private static async Task<Loaded> RestoreModeAsync(
        PostgresRestore restore, DatabaseRestoreRequest request, SnapshotStreamSource source, BackupManifest manifest, PgConnectionInfo into,
        EarlyConnection? early, Reporter reporter, CancellationToken cancellationToken)
    {
        switch (request.Mode)
        {
            case RestoreMode.MatchingRows rows:
                return new Loaded { Rows = await restore.RestoreRowsAsync(source, manifest, into, rows.Options, cancellationToken) };
            case RestoreMode.OneTable table:
                return new Loaded { Table = await restore.RestoreTableAsync(source, manifest, into, table.Options, cancellationToken) };
            case RestoreMode.WholeDatabase whole:
                var globals = await restore.RestoreAsync(source, manifest, into, whole.Options, cancellationToken, early);
                if (!whole.Verify)
                {
                    return new Loaded { Globals = globals };
                }

                // before the rename: a restore that does not hold the snapshot's rows is a failed one
                reporter.Enter(RestorePhase.Verifying, source.BytesRead, manifest.TotalDataBytes);
                return new Loaded { Globals = globals, Verification = await PostgresVerifier.VerifyAsync(into, manifest, cancellationToken) };
            default:
                throw new UnreachableException($"restore mode {request.Mode.GetType().Name}");
        }
    }

    private static AuditFacts Facts(DatabaseRestoreRequest request, DatabaseRestoreResult result) => new()
    {
        Source = request.Target.Redact(),
        Snapshots = [result.SnapshotId],
        Bytes = result.Bytes,
        Failed = result.Verification is { Ok: false },
        Error = result.Verification is { Ok: false } v
            ? "verification failed: " + string.Join("; ", v.Mismatches.Take(5)) + (result.Aftermath is { } left ? ". " + left.Summary : "")
            : null,
        Details = new Dictionary<string, string> { ["mode"] = request.Mode.AuditName, ["verified"] = (result.Verification is not null).ToString() },
    };

    /// <summary>Finds a database snapshot and opens it as a restore source with its manifest.</summary>
    public static Task<(SnapshotRecord Record, SnapshotStreamSource Source, BackupManifest Manifest)> OpenAsync(
        BackupRepository repository, string snapshot, CancellationToken cancellationToken) =>
        OpenAsync(repository, snapshot, null, cancellationToken);

    /// <summary>
    /// Finds a database snapshot and opens it as a restore source with its manifest;
    /// <paramref name="bytesRead"/> is called as the source hands out bytes (see <see cref="SnapshotStreamSource"/>).
    /// </summary>
    public static async Task<(SnapshotRecord Record, SnapshotStreamSource Source, BackupManifest Manifest)> OpenAsync(
        BackupRepository repository, string snapshot, Action<long>? bytesRead, CancellationToken cancellationToken)
    {
        // the index loads while the snapshot is found (both only read the repository)
        var loading = Task.Run(() => MasterIndex.LoadAsync(repository, cancellationToken), cancellationToken);
        SnapshotRecord record;
        try
        {
            record = await SnapshotStore.FindAsync(repository, snapshot, cancellationToken);
            if (record.Snapshot.Kind == Repository.Directories.DirectoryManifest.Kind)
            {
                throw new InvalidRequestException(
                    $"snapshot {record.ShortId} holds directories ('{record.Snapshot.Source}'), not a database: use 'lifeboat restore {record.ShortId} --to-dir DIR'");
            }

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
        var source = new SnapshotStreamSource(new BlobReader(repository, index), record.Snapshot, bytesRead);
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

    /// <summary>What the load gave: the mode's result, the verification, and what a failed verification left.</summary>
    private sealed record Loaded
    {
        public TableRestoreResult? Table { get; init; }

        public RowRestoreResult? Rows { get; init; }

        public VerificationResult? Verification { get; init; }

        public GlobalsOutcome? Globals { get; init; }

        public RestoreAftermath? Aftermath { get; init; }

        public Changes.ChangeReplayResult? Replay { get; init; }
    }

    /// <summary>Turns the phases and the source's byte count into <see cref="RestoreProgress"/> records.</summary>
    private sealed class Reporter(IProgress<RestoreProgress>? progress)
    {
        private volatile RestoreProgress _phase = new(RestorePhase.OpeningSnapshot, 0, null);

        public void Enter(RestorePhase phase, long bytesRead, long? bytesExpected)
        {
            _phase = new RestoreProgress(phase, bytesRead, bytesExpected);
            progress?.Report(_phase);
        }

        /// <summary>Called by the source on the thread that read (the manifest's bytes, read while opening, count once the restore starts).</summary>
        public void BytesRead(long total)
        {
            var phase = _phase;
            if (phase.Phase != RestorePhase.OpeningSnapshot)
                progress?.Report(phase with { BytesRead = total });
        }
    }
}
