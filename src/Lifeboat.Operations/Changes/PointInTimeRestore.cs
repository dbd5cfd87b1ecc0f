using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Changes;

namespace Lifeboat.Operations.Changes;

/// <summary>The point a restore goes to: a WAL position or a time (one of them), included or not.</summary>
public sealed record PointInTime(ulong? ToLsn, DateTimeOffset? ToTime, bool Exclusive);

/// <summary>
/// The change-log half of a point-in-time restore: checked before anything is loaded (the snapshot is a base
/// of <c>follow</c>, its log reaches the target: otherwise <see cref="ChangeLogShortException"/>), replayed
/// onto the loaded base before the restore is committed.
/// </summary>
public sealed class PointInTimeRestore
{
    private readonly BackupRepository _repository;
    private readonly string _slot;
    private readonly ulong _from;
    private readonly PointInTime _target;

    private PointInTimeRestore(BackupRepository repository, string slot, ulong from, PointInTime target)
    {
        _repository = repository;
        _slot = slot;
        _from = from;
        _target = target;
    }

    /// <summary>Null when the request restores no point in time; throws when it cannot.</summary>
    public static async Task<PointInTimeRestore?> PrepareAsync(
        BackupRepository repository, SnapshotRecord record, DatabaseRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.PointInTime is not { } target)
        {
            return null;
        }

        if (request.Mode is not RestoreMode.WholeDatabase)
        {
            throw new InvalidRestoreRequestException("--to-time and --to-lsn restore a whole database (not --table or --where)");
        }

        var slot = ChangeLogCoverage.SlotOf(record) ?? throw new InvalidRestoreRequestException(
            $"snapshot {record.ShortId} is not a base of 'lifeboat follow' (it has no change log): restore it without --to-time/--to-lsn, " +
            "or choose a base (lifeboat snapshots --changes)");
        var from = ChangeLogCoverage.BaseLsn(record);
        var segments = await ChangeLogStore.LoadAllAsync(repository, null, cancellationToken);
        ChangeLogCoverage.Of(segments, slot, from, record.Snapshot.Time).Require(target.ToLsn, target.ToTime);
        return new PointInTimeRestore(repository, slot, from, target);
    }

    /// <summary>Replays the log onto the loaded base <paramref name="into"/>.</summary>
    public async Task<ChangeReplayResult> ReplayAsync(PgConnectionInfo into, CancellationToken cancellationToken)
    {
        var index = await MasterIndex.LoadAsync(_repository, cancellationToken);
        return await ChangeLogReplay.ReplayAsync(_repository, index, new ChangeReplayRequest(into, _slot, _from)
        {
            ToLsn = _target.ToLsn, ToTime = _target.ToTime, Exclusive = _target.Exclusive,
        }, cancellationToken);
    }
}
