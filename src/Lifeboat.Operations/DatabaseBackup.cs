using System.Text.Json.Nodes;
using Lifeboat.Operations.Audit;
using Lifeboat.Operations.Evidence;
using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;

namespace Lifeboat.Operations;

/// <summary>
/// Backs up a live PostgreSQL database into a snapshot: one consistent exported snapshot, tables
/// copied in parallel straight into the repository, schema via pg_dump, manifest with per-table
/// hashes. The snapshot is committed only when everything was captured.
/// </summary>
public sealed class DatabaseBackup(BackupRepository repository, BackupWriterOptions writerOptions)
{
    public const string Kind = "postgres";

    /// <summary>Created when the capture starts; poll it for bytes stored.</summary>
    public BackupWriter? Writer { get; private set; }

    /// <summary>The latest progress the capture reported.</summary>
    public CaptureProgress? LastProgress { get; private set; }

    /// <summary>Set once the capture completed: what was captured.</summary>
    public BackupManifest? Manifest { get; private set; }

    /// <summary>Set once the snapshot is committed: e.g. that it is far smaller than the previous one of the same database and selection (<see cref="SizeDrop"/>).</summary>
    public IReadOnlyList<string> Warnings { get; private set; } = [];

    /// <summary>
    /// Backs up, then records evidence and an audit record (a failure is audited too).
    /// <paramref name="preparing"/>: the capture's first half (<see cref="PostgresCapture.PrepareAsync"/>)
    /// if the caller started it already, e.g. while the repository was being opened; this backup then owns it.
    /// </summary>
    public Task<SnapshotRecord> RunAsync(
        PgConnectionInfo source, CaptureOptions options, IReadOnlyList<string> tags, DateTimeOffset? time, CancellationToken cancellationToken,
        Task<PreparedCapture>? preparing = null)
    {
        var started = repository.Context.Time.GetUtcNow();
        return OperationAudit.RunAsync(repository, "backup", ct => RunCoreAsync(source, options, tags, time, preparing, ct),
            (record, ct) => OperationEvidence.ForBackupAsync(repository, record, Manifest, Warnings, started, ct), cancellationToken, SourceName(source));
    }

    private async Task<SnapshotRecord> RunCoreAsync(
        PgConnectionInfo source, CaptureOptions options, IReadOnlyList<string> tags, DateTimeOffset? time, Task<PreparedCapture>? preparing,
        CancellationToken cancellationToken)
    {
        var capture = new PostgresCapture();
        try
        {
            await using var held = await Locks.AcquireAsync(repository, exclusive: false, "backup", cancellationToken);
            var index = await MasterIndex.LoadAsync(repository, cancellationToken);
            Writer = new BackupWriter(repository, index, writerOptions with { Lock = held });
            var selection = Selection(options);
            var sizeDrop = SizeDrop.Start(
                repository, Kind, SourceName(source), previous => previous.Manifest?["selection"] is JsonValue v && v.TryGetValue<string>(out var s) && s == selection,
                cancellationToken);
            var owned = preparing ?? capture.PrepareAsync(source, options, cancellationToken);
            preparing = null;
            await using (var prepared = await owned)
            {
                Manifest = await capture.CaptureAsync(
                    prepared, new RepositoryStreamSink(Writer), new SynchronousProgress(p => LastProgress = p), cancellationToken);
            }

            var record = await Writer.CommitAsync(
                new SnapshotDescription(Kind, SourceName(source), tags, ProgramInfo.Name)
                {
                    Time = time,
                    Manifest = Summarize(Manifest, selection),
                },
                cancellationToken);
            var warnings = await sizeDrop.WarningsAsync(
                record, "the database holds far less than at that backup: check that no data was deleted or truncated by mistake, and that the filters are the ones meant");
            Warnings = Manifest.GlobalsNotSaved is { } why
                ? [.. warnings, $"--globals: roles and tablespaces were NOT saved ({why}); the database itself is backed up, and 'restore --globals' of this snapshot will refuse. Save them another way (the host's dashboard or an owner's pg_dumpall), or back up with a role allowed to run pg_dumpall"]
                : warnings;
            return record;
        }
        finally
        {
            if (preparing is not null)
            {
                await PreparedCapture.DiscardAsync(preparing);
            }
        }
    }

    /// <summary>How a database is named in snapshots: host:port/database, never a password.</summary>
    public static string SourceName(PgConnectionInfo source) => $"{source.Host}:{source.Port}/{source.Database}";

    /// <summary>The facts status, drills and listings need without reading manifest.json.</summary>
    private static JsonObject Summarize(BackupManifest manifest, string selection) => new()
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
    private static string Selection(CaptureOptions options) =>
        string.Join(" ", new[]
        {
            ("schema", options.Schemas), ("exclude-schema", options.ExcludeSchemas), ("table", options.Tables),
            ("exclude-table", options.ExcludeTables), ("exclude-table-data", options.ExcludeTableData),
            ("profile", options.Profile is null ? [] : (IReadOnlyList<string>)[options.Profile]),
        }.SelectMany(f => f.Item2.Select(pattern => $"--{f.Item1}={pattern}")));

    /// <summary>Reports on the calling thread (the capture's workers), so the latest value is always visible.</summary>
    private sealed class SynchronousProgress(Action<CaptureProgress> report) : IProgress<CaptureProgress>
    {
        public void Report(CaptureProgress value) => report(value);
    }
}
