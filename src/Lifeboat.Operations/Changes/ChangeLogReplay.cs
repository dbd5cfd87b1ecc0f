using Lifeboat.Postgres;
using Lifeboat.Repository;
using Lifeboat.Repository.Changes;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations.Changes;

/// <summary>What to replay: onto which database, from which base, up to which point.</summary>
/// <param name="Target">A database restored from the base backup the log starts at.</param>
/// <param name="Slot">The slot whose segments to replay.</param>
/// <param name="FromLsn">The base's consistent point (its manifest's <c>walLsn</c>): transactions before it are in the base.</param>
public sealed record ChangeReplayRequest(PgConnectionInfo Target, string Slot, ulong FromLsn)
{
    /// <summary>Replay transactions whose commit record ends at or before this position; null = no limit.</summary>
    public ulong? ToLsn { get; init; }

    /// <summary>Replay transactions that committed at or before this time; null = no limit.</summary>
    public DateTimeOffset? ToTime { get; init; }

    /// <summary>Stop before a transaction at the target (commit record ending at <see cref="ToLsn"/>, committed at <see cref="ToTime"/>) rather than after it.</summary>
    public bool Exclusive { get; init; }
}

/// <summary>What a replay applied, and how far the log went.</summary>
/// <param name="Transactions">Transactions applied.</param>
/// <param name="Changes">Changes applied.</param>
/// <param name="LastAppliedLsn">The commit LSN of the last one applied (0 when none).</param>
/// <param name="LastCommitTime">Its commit time.</param>
/// <param name="CoveredToLsn">Where the log read ends: a target past it was not reached.</param>
public sealed record ChangeReplayResult(long Transactions, long Changes, ulong LastAppliedLsn, DateTimeOffset? LastCommitTime, ulong CoveredToLsn);

/// <summary>The change log does not continue from where the replay stands: the log does not cover that stretch.</summary>
public sealed class ChangeLogGapException(string message) : Exception(message);

/// <summary>
/// Replays a slot's change log from the repository onto a restored base, in commit order, up to a
/// position or time (<see cref="ChangeReplay"/> applies each transaction). Segments must chain from the
/// base's consistent point without a gap; a gap stops the replay before anything past it is applied.
/// </summary>
public static class ChangeLogReplay
{
    /// <summary>Replays what <paramref name="request"/> asks for.</summary>
    public static async Task<ChangeReplayResult> ReplayAsync(
        BackupRepository repository, MasterIndex index, ChangeReplayRequest request, CancellationToken cancellationToken)
    {
        var segments = (await ChangeLogStore.LoadAllAsync(repository, null, cancellationToken).ConfigureAwait(false))
            .Where(s => s.Segment.Slot == request.Slot && s.EndLsn > request.FromLsn)
            .ToList();
        var restorer = new StreamRestorer(new BlobReader(repository, index), Math.Max(4, Environment.ProcessorCount * 2));
        await using var replay = await ChangeReplay.OpenAsync(request.Target, cancellationToken).ConfigureAwait(false);
        var covered = request.FromLsn;
        DateTimeOffset? lastTime = null;
        foreach (var segment in segments)
        {
            if ((request.ToLsn is { } lsn && segment.FirstCommitLsn >= lsn) || (request.ToTime is { } time && (request.Exclusive ? segment.Segment.FirstCommitTime >= time : segment.Segment.FirstCommitTime > time)))
            {
                break;
            }

            if (segment.StartLsn > covered)
            {
                throw new ChangeLogGapException(
                    $"the change log of slot {request.Slot} has a gap from {LogPosition.Format(covered)} to {LogPosition.Format(segment.StartLsn)} " +
                    $"(segment {segment.Id.Short} starts there): the replay stopped at {LogPosition.Format(covered)}");
            }

            var reached = await ReplaySegmentAsync(restorer, replay, segment, request, covered, cancellationToken).ConfigureAwait(false);
            lastTime = reached.LastTime ?? lastTime;
            covered = Math.Max(covered, segment.EndLsn);
            if (reached.StoppedEarly)
            {
                break;
            }
        }

        return new ChangeReplayResult(replay.Transactions, replay.Changes, replay.LastAppliedLsn, lastTime, covered);
    }

    private static async Task<(bool StoppedEarly, DateTimeOffset? LastTime)> ReplaySegmentAsync(
        StreamRestorer restorer, ChangeReplay replay, ChangeSegmentRecord segment, ChangeReplayRequest request, ulong covered, CancellationToken cancellationToken)
    {
        DateTimeOffset? lastTime = null;
        await using var reader = ChangeLogStore.OpenRead(restorer, segment, cancellationToken);
        while (await reader.ReadTransactionAsync(cancellationToken).ConfigureAwait(false) is { } transaction)
        {
            if (Beyond(request, transaction))
            {
                return (true, lastTime);
            }

            var relations = transaction.Relations.ToDictionary(r => r.Id, ChangeRecords.ToCaptured);
            var changes = ReadChangesAsync(reader, transaction.ChangeCount, cancellationToken);
            if (transaction.EndLsn <= covered)
            {
                // in the base already, or replayed from an overlapping segment
                await foreach (var _ in changes.ConfigureAwait(false))
                {
                }

                continue;
            }

            await replay.ApplyAsync(transaction.CommitLsn, relations, changes, cancellationToken).ConfigureAwait(false);
            lastTime = transaction.CommitTime;
        }

        return (false, lastTime);
    }

    private static bool Beyond(ChangeReplayRequest request, LoggedTransaction transaction) => request.Exclusive
        ? (request.ToLsn is { } lsn && transaction.EndLsn >= lsn) || (request.ToTime is { } time && transaction.CommitTime >= time)
        : (request.ToLsn is { } end && transaction.EndLsn > end) || (request.ToTime is { } at && transaction.CommitTime > at);

    private static async IAsyncEnumerable<CapturedChange> ReadChangesAsync(
        ChangeSegmentReader reader, long count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0L; i < count; i++)
        {
            yield return ChangeRecords.ToCaptured(await reader.ReadChangeAsync(cancellationToken).ConfigureAwait(false));
        }
    }
}
