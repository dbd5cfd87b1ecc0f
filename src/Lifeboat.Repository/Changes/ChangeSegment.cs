using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Repository.Changes;

/// <summary>
/// What <c>changes/&lt;id&gt;</c> holds (repository-format.md §16.2): a run of committed transactions of one
/// source and slot, stored as one stream, with where it starts and ends in the WAL and in time, and a
/// sparse index into the stream by LSN and commit time. Writing it is the segment's commit point.
/// </summary>
public sealed record ChangeSegment
{
    /// <summary>Version of this object's shape.</summary>
    public int Version { get; init; } = 1;

    /// <summary>The database captured (host:port/name, no password).</summary>
    public required string Source { get; init; }

    /// <summary>The replication slot the changes came from.</summary>
    public required string Slot { get; init; }

    /// <summary>When the segment was written.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The host that wrote it.</summary>
    public required string Host { get; init; }

    /// <summary>
    /// The position the log was durable up to before this segment (the previous segment's <see cref="EndLsn"/>,
    /// or the base backup's consistent point): a gap between segments is a <c>startLsn</c> past the previous end.
    /// </summary>
    public required string StartLsn { get; init; }

    /// <summary>The first transaction's commit LSN.</summary>
    public required string FirstCommitLsn { get; init; }

    /// <summary>The last transaction's commit LSN.</summary>
    public required string LastCommitLsn { get; init; }

    /// <summary>Just past the last transaction: the slot may be acknowledged up to here.</summary>
    public required string EndLsn { get; init; }

    /// <summary>The first transaction's commit time.</summary>
    public required DateTimeOffset FirstCommitTime { get; init; }

    /// <summary>The last transaction's commit time.</summary>
    public required DateTimeOffset LastCommitTime { get; init; }

    /// <summary>Transactions in the segment.</summary>
    public required int Transactions { get; init; }

    /// <summary>Changes in the segment.</summary>
    public required long Changes { get; init; }

    /// <summary>The segment's stream (§16.1), stored like a snapshot's streams (§5 to §7).</summary>
    public required SnapshotStream Stream { get; init; }

    /// <summary>Where some transactions start in the stream (the first, then one at least every 64 KiB), in order.</summary>
    public required IReadOnlyList<ChangeSegmentMark> Index { get; init; }

    /// <summary>The program that wrote it.</summary>
    public required string Program { get; init; }
}

/// <summary>A transaction's position in a segment's stream.</summary>
/// <param name="Lsn">Its commit LSN.</param>
/// <param name="Time">Its commit time.</param>
/// <param name="Offset">The stream offset of its header.</param>
/// <param name="Number">Its position among the segment's transactions, from 0.</param>
public sealed record ChangeSegmentMark(string Lsn, DateTimeOffset Time, long Offset, int Number);

/// <summary>A change segment and its object id.</summary>
public sealed record ChangeSegmentRecord(BlobId Id, ChangeSegment Segment)
{
    /// <summary>The segment's start position.</summary>
    public ulong StartLsn => LogPosition.Parse(Segment.StartLsn);

    /// <summary>Its end position (what it makes durable).</summary>
    public ulong EndLsn => LogPosition.Parse(Segment.EndLsn);

    /// <summary>Its first commit LSN.</summary>
    public ulong FirstCommitLsn => LogPosition.Parse(Segment.FirstCommitLsn);

    /// <summary>Its last commit LSN.</summary>
    public ulong LastCommitLsn => LogPosition.Parse(Segment.LastCommitLsn);
}

/// <summary>Stores and reads change segments: <c>changes/&lt;SHA-256 of the stored bytes&gt;</c>, sealed with aad <c>lifeboat changes v1</c>.</summary>
public static class ChangeLogStore
{
    /// <summary>Where change segments live.</summary>
    public const string Prefix = "changes/";

    private static readonly byte[] Aad = SealedJson.Label("lifeboat changes v1");

    /// <summary>Seals and writes a segment; returns its id.</summary>
    public static Task<BlobId> SaveAsync(BackupRepository repository, ChangeSegment segment, CancellationToken cancellationToken) =>
        SealedJson.WriteAsync(repository, Prefix, Aad, segment, cancellationToken);

    /// <summary>Reads, checks and authenticates one segment.</summary>
    public static async Task<ChangeSegmentRecord> LoadAsync(BackupRepository repository, BlobId id, CancellationToken cancellationToken) =>
        new(id, await SealedJson.ReadAsync<ChangeSegment>(repository, Prefix + id, Aad, "change segment", cancellationToken));

    /// <summary>
    /// Every segment, ordered by start position then end position. Damaged ones go to <paramref name="damaged"/>, or are thrown when it is null.
    /// </summary>
    public static async Task<List<ChangeSegmentRecord>> LoadAllAsync(BackupRepository repository, List<IntegrityException>? damaged, CancellationToken cancellationToken)
    {
        var ids = await repository.ListIdsAsync(Prefix, cancellationToken);
        var records = new ChangeSegmentRecord?[ids.Count];
        var errors = new IntegrityException?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                try
                {
                    records[i] = await LoadAsync(repository, ids[i], ct);
                }
                catch (IntegrityException e) when (damaged is not null)
                {
                    errors[i] = e;
                }
            });
        damaged?.AddRange(errors.OfType<IntegrityException>());
        return [.. records.OfType<ChangeSegmentRecord>().OrderBy(r => r.StartLsn).ThenBy(r => r.EndLsn).ThenBy(r => r.Id)];
    }

    /// <summary>
    /// Where the log of <paramref name="slot"/> is durable up to: the largest <c>endLsn</c> of its segments, or null when
    /// it has none (a restarted writer starts there).
    /// </summary>
    public static async Task<ulong?> DurableEndAsync(BackupRepository repository, string slot, CancellationToken cancellationToken) =>
        (await LoadAllAsync(repository, null, cancellationToken)).Where(r => r.Segment.Slot == slot).Select(r => (ulong?)r.EndLsn).Max();

    /// <summary>Opens a segment's stream for reading its transactions (each blob authenticated and checked on the way).</summary>
    public static ChangeSegmentReader OpenRead(StreamRestorer restorer, ChangeSegmentRecord record, CancellationToken cancellationToken) =>
        new(restorer.OpenRead(record.Segment.Stream, cancellationToken), $"{Prefix}{record.Id}");
}
