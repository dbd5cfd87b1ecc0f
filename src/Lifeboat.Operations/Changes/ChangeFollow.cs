using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Changes;

namespace Lifeboat.Operations.Changes;

/// <summary>What <c>follow</c> follows, and how.</summary>
public sealed record ChangeFollowRequest(PgConnectionInfo Source, CaptureOptions Capture)
{
    /// <summary>The replication slot (and publication) name.</summary>
    public string Slot { get; init; } = "lifeboat";

    /// <summary>How long a transaction may wait in memory before its segment is written (and the slot acknowledged).</summary>
    public TimeSpan Flush { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Take a new base backup (and a new slot) even when the slot could be resumed.</summary>
    public bool NewBase { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>How a <c>follow</c> started: on a new base, or resuming the slot.</summary>
/// <param name="BaseSnapshot">The base snapshot the log continues.</param>
/// <param name="Resumed">Whether the slot was resumed (no new base).</param>
/// <param name="FromLsn">Where the log continues from.</param>
public sealed record ChangeFollowStarted(string Slot, string BaseSnapshot, bool Resumed, ulong FromLsn);

/// <summary>
/// Continuous protection of a database: a slot with an exported snapshot, a base backup in that snapshot,
/// then its stream recorded into the change log (<see cref="ChangeRecorder"/>: the slot is acknowledged
/// only up to a durable segment). Started again it resumes from the slot, skipping what the log holds;
/// a slot that is gone while the repository holds a base for it is refused (<see cref="ReplicationSlotLostException"/>)
/// unless a new base is asked for.
/// </summary>
public sealed class ChangeFollow(IRepositoryOpener opener)
{
    /// <summary>Follows until <paramref name="cancellationToken"/> is cancelled (then <see cref="OperationCanceledException"/>) or the stream fails.</summary>
    public async Task RunAsync(
        ChangeFollowRequest request, Action<ChangeFollowStarted>? started, IProgress<ChangeRecordingProgress>? progress, CancellationToken cancellationToken)
    {
        var repository = await opener.OpenAsync(cancellationToken);
        var source = DatabaseBackup.SourceName(request.Source);
        var options = new ChangeCaptureOptions { SlotName = request.Slot, PublicationName = request.Slot, Capture = request.Capture };
        var bases = (await SnapshotStore.LoadAllAsync(repository, null, cancellationToken))
            .Where(r => r.Snapshot.Source == source && ChangeLogCoverage.SlotOf(r) == request.Slot)
            .OrderBy(r => r.Snapshot.Time)
            .ToList();
        var slot = await ReplicationSlots.FindAsync(request.Source, request.Slot, cancellationToken);

        ChangeCapture capture;
        SnapshotRecord baseRecord;
        ulong from;
        var resumed = false;
        if (bases.Count > 0 && !request.NewBase)
        {
            baseRecord = bases[^1];
            var baseLsn = ChangeLogCoverage.BaseLsn(baseRecord);
            var durable = await ChangeLogStore.DurableEndAsync(repository, request.Slot, cancellationToken);
            from = Math.Max(baseLsn, durable ?? 0);
            if (slot is null)
            {
                throw new ReplicationSlotLostException(
                    $"The replication slot {request.Slot} is gone from {request.Source.Redact()} (dropped, or lost in a failover), " +
                    $"but snapshot {baseRecord.ShortId} is a base for it: the log covers {LogPosition.Format(baseLsn)} to {LogPosition.Format(from)}, " +
                    "and the changes made since are not in it. Start again with 'lifeboat follow --new-base' (a new base backup and slot).");
            }

            capture = await ChangeCapture.ResumeAsync(request.Source, options, cancellationToken);
            resumed = true;
        }
        else
        {
            if (slot is not null)
            {
                // left by a follow stopped before its base was committed, or replaced by --new-base
                await ReplicationSlots.DropAsync(request.Source, request.Slot, request.Slot, cancellationToken);
            }

            capture = await ChangeCapture.StartAsync(request.Source, options, cancellationToken);
            try
            {
                baseRecord = await BaseAsync(repository, capture, request, cancellationToken);
            }
            catch
            {
                await capture.DisposeAsync();
                throw;
            }

            from = capture.ConsistentPoint;
        }

        await using (capture)
        {
            started?.Invoke(new ChangeFollowStarted(request.Slot, baseRecord.Id.ToString(), resumed, from));
            var index = await MasterIndex.LoadAsync(repository, cancellationToken);
            await using var writer = new ChangeLogWriter(repository, index, new ChangeLogWriterOptions
            {
                Source = source, Slot = request.Slot, StartLsn = from, FlushInterval = request.Flush, Program = ProgramInfo.Name,
            });
            await new ChangeRecorder(capture, writer) { Progress = progress }.RunAsync(cancellationToken);
        }
    }

    private static async Task<SnapshotRecord> BaseAsync(BackupRepository repository, ChangeCapture capture, ChangeFollowRequest request, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "follow", cancellationToken);
        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        var writer = new BackupWriter(repository, index, new BackupWriterOptions { Lock = held });
        var manifest = await capture.CaptureBaseAsync(new RepositoryStreamSink(writer), null, cancellationToken);
        var summary = DatabaseBackup.Summarize(manifest, DatabaseBackup.Selection(request.Capture));
        summary[ChangeLogCoverage.SlotKey] = request.Slot;
        return await writer.CommitAsync(
            new SnapshotDescription(DatabaseBackup.Kind, DatabaseBackup.SourceName(request.Source), request.Tags, ProgramInfo.Name) { Manifest = summary },
            cancellationToken);
    }
}
