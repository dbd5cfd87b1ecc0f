using System.Text.Json.Nodes;
using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;

namespace Lifeboat.Operations;

/// <summary>What <see cref="DatabaseBackup"/> backs up: the database, how, and the snapshot's labels.</summary>
/// <param name="Source">The database to back up (its password never reaches a snapshot, a log or an error).</param>
/// <param name="Options">What of it to capture, and with how many jobs.</param>
public sealed record DatabaseBackupRequest(PgConnectionInfo Source, CaptureOptions Options)
{
    /// <summary>Tags of the snapshot.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The time to record instead of now (e.g. importing old dumps).</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Further repositories the new snapshot is copied to (<see cref="SnapshotCopies"/>): opened while the database side is prepared.</summary>
    public IReadOnlyList<IRepositoryOpener> AlsoTo { get; init; } = [];
}

/// <summary>How far a backup is: tables (zero for a stream), bytes read of the estimate, bytes stored (compressed, encrypted) so far.</summary>
public sealed record BackupProgress(int TablesDone, int TablesTotal, long BytesDone, long? BytesEstimated, long StoredBytes);

/// <summary>The outcome of a database backup.</summary>
/// <param name="Record">The snapshot, committed.</param>
/// <param name="Manifest">What was captured.</param>
/// <param name="Warnings">E.g. that it is far smaller than the previous one of the same database and selection (<see cref="SizeDrop"/>).</param>
/// <param name="Copies">The copies to the <see cref="DatabaseBackupRequest.AlsoTo"/> repositories, still to be made.</param>
public sealed record DatabaseBackupResult(SnapshotRecord Record, BackupManifest Manifest, IReadOnlyList<string> Warnings, SnapshotCopies Copies);

/// <summary>
/// Backs up a live PostgreSQL database into a snapshot: one consistent exported snapshot, tables
/// copied in parallel straight into the repository, schema via pg_dump, manifest with per-table
/// hashes. The snapshot is committed only when everything was captured. The database side
/// (connect, find pg_dump, export the snapshot, read the catalog) is prepared while the repository
/// opens (a key derivation): both take a few hundred milliseconds.
/// </summary>
public sealed class DatabaseBackup(IRepositoryOpener repository, BackupWriterOptions writerOptions)
{
    public const string Kind = "postgres";

    /// <summary>
    /// Opens the repository (and the <see cref="DatabaseBackupRequest.AlsoTo"/> ones) while preparing the
    /// capture, backs up, then records evidence and an audit record (a failure is audited too). A
    /// preparation that is not used (the repository did not open, the lock was refused, ...) is discarded:
    /// its transaction ends and its connection closes.
    /// </summary>
    public async Task<DatabaseBackupResult> RunAsync(
        DatabaseBackupRequest request, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        // pg_dump's version is read while the repository opens
        PgToolset.Prefetch(request.Options.PgBinDirectory);
        var capture = new PostgresCapture();
        var preparing = capture.PrepareAsync(request.Source, request.Options, cancellationToken);
        BackupRepository opened;
        IReadOnlyList<SnapshotCopies.Target> targets;
        try
        {
            opened = await repository.OpenAsync(cancellationToken);
            targets = await SnapshotCopies.OpenAsync(request.AlsoTo, cancellationToken);
        }
        catch
        {
            await PreparedCapture.DiscardAsync(preparing);
            throw;
        }

        opened.Context.Notice?.Invoke($"backing up {request.Source.Redact()} with {request.Options.Jobs} job(s)");
        var started = opened.Context.Time.GetUtcNow();
        var (record, manifest, warnings) = await OperationAudit.RunAsync(
            opened, "backup", ct => BackupAsync(opened, capture, preparing, request, progress, ct),
            (done, ct) => OperationEvidence.ForBackupAsync(opened, done.Record, done.Manifest, done.Warnings, started, ct),
            cancellationToken, SourceName(request.Source));
        return new DatabaseBackupResult(record, manifest, warnings, new SnapshotCopies(opened, record, targets));
    }

    private async Task<(SnapshotRecord Record, BackupManifest Manifest, IReadOnlyList<string> Warnings)> BackupAsync(
        BackupRepository repository, PostgresCapture capture, Task<PreparedCapture> preparing, DatabaseBackupRequest request,
        IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        Task<PreparedCapture>? unused = preparing;
        try
        {
            await using var held = await Locks.AcquireAsync(repository, exclusive: false, "backup", cancellationToken);
            var index = await MasterIndex.LoadAsync(repository, cancellationToken);
            var reporter = new ProgressReporter(progress);
            var writer = new BackupWriter(repository, index, writerOptions with { Lock = held, Progress = progress is null ? null : reporter });
            var selection = Selection(request.Options);
            var sizeDrop = SizeDrop.Start(
                repository, Kind, SourceName(request.Source), previous => previous.Manifest?["selection"] is JsonValue v && v.TryGetValue<string>(out var s) && s == selection,
                cancellationToken);
            unused = null;
            BackupManifest manifest;
            await using (var prepared = await preparing)
            {
                manifest = await capture.CaptureAsync(prepared, new RepositoryStreamSink(writer), reporter.For(writer.Stats), cancellationToken);
            }

            var record = await writer.CommitAsync(
                new SnapshotDescription(Kind, SourceName(request.Source), request.Tags, ProgramInfo.Name)
                {
                    Time = request.Time,
                    Manifest = Summarize(manifest, selection),
                },
                cancellationToken);
            var warnings = await sizeDrop.WarningsAsync(
                record, "the database holds far less than at that backup: check that no data was deleted or truncated by mistake, and that the filters are the ones meant");
            return (record, manifest, manifest.GlobalsNotSaved is { } why
                ? [.. warnings, $"--globals: roles and tablespaces were NOT saved ({why}); the database itself is backed up, and 'restore --globals' of this snapshot will refuse. Save them another way (the host's dashboard or an owner's pg_dumpall), or back up with a role allowed to run pg_dumpall"]
                : warnings);
        }
        finally
        {
            if (unused is not null)
            {
                await PreparedCapture.DiscardAsync(unused);
            }
        }
    }

    /// <summary>How a database is named in snapshots: host:port/database, never a password.</summary>
    public static string SourceName(PgConnectionInfo source) => $"{source.Host}:{source.Port}/{source.Database}";

    /// <summary>The facts status, drills and listings need without reading manifest.json.</summary>
    internal static JsonObject Summarize(BackupManifest manifest, string selection) => new()
    {
        ["serverVersion"] = manifest.ServerVersion,
        ["systemIdentifier"] = manifest.SystemIdentifier,
        ["database"] = manifest.Database,
        ["walLsn"] = manifest.WalLsn,
        ["snapshotTime"] = manifest.SnapshotTime,
        ["tables"] = manifest.Tables.Count,
        ["rows"] = manifest.Tables.Sum(t => t.Rows),
        ["dataBytes"] = manifest.TotalDataBytes,
        ["sequences"] = manifest.Sequences.Count,
        ["largeObjects"] = manifest.LargeObjects.Count,
        ["pgDump"] = manifest.PgDumpVersion,
        ["selection"] = selection,
    };

    /// <summary>
    /// What the filters chose, as one string: only backups of the same selection are compared in size
    /// (one table's backup is not "far smaller" than the whole database's); empty for the whole database.
    /// </summary>
    internal static string Selection(CaptureOptions options) =>
        string.Join(" ", new[]
        {
            ("schema", options.Schemas), ("exclude-schema", options.ExcludeSchemas), ("table", options.Tables),
            ("exclude-table", options.ExcludeTables), ("exclude-table-data", options.ExcludeTableData),
            ("profile", options.Profile is null ? [] : (IReadOnlyList<string>)[options.Profile]),
        }.SelectMany(f => f.Item2.Select(pattern => $"--{f.Item1}={pattern}")));

    /// <summary>
    /// Joins the capture's reports (tables, bytes read) with the writer's (bytes stored) into
    /// <see cref="BackupProgress"/>, on the calling threads (the capture's workers): nothing before the
    /// capture's first report, then one record per report of either.
    /// </summary>
    private sealed class ProgressReporter(IProgress<BackupProgress>? progress) : IProgress<BackupStats>
    {
        private volatile CaptureProgress? _capture;
        private BackupStats? _stats;

        public IProgress<CaptureProgress>? For(BackupStats stats)
        {
            _stats = stats;
            return progress is null ? null : new Capture(this);
        }

        public void Report(BackupStats value)
        {
            if (_capture is { } capture)
            {
                Send(capture, value.StoredBytes);
            }
        }

        private void Send(CaptureProgress capture, long stored) =>
            progress?.Report(new BackupProgress(capture.TablesDone, capture.TablesTotal, capture.BytesDone, capture.BytesEstimated, stored));

        private sealed class Capture(ProgressReporter owner) : IProgress<CaptureProgress>
        {
            public void Report(CaptureProgress value)
            {
                owner._capture = value;
                owner.Send(value, owner._stats?.StoredBytes ?? 0);
            }
        }
    }
}
