using Lifeboat.Repository;
using Lifeboat.Repository.Changes;

namespace Lifeboat.Operations.Changes;

/// <summary>A stretch of WAL the change log of a slot does not hold.</summary>
public sealed record ChangeLogGap(ulong FromLsn, ulong ToLsn);

/// <summary>
/// What the change log of a base covers: from the base's consistent point, without a gap, up to
/// <see cref="ToLsn"/>; <see cref="ToTime"/> is when the last segment of that stretch was made durable (a
/// transaction that committed before it and ends before <see cref="ToLsn"/> is in the log).
/// </summary>
public sealed record ChangeLogCoverage(string Slot, ulong FromLsn, ulong ToLsn, DateTimeOffset? FromTime, DateTimeOffset? ToTime, int Segments, long Transactions, IReadOnlyList<ChangeLogGap> Gaps)
{
    /// <summary>The slot a base snapshot of <c>follow</c> names in its manifest.</summary>
    public const string SlotKey = "changeSlot";

    /// <summary>The slot of a base snapshot, or null when it is an ordinary backup.</summary>
    public static string? SlotOf(SnapshotRecord record) =>
        record.Snapshot.Manifest?[SlotKey]?.GetValue<string>();

    /// <summary>The base's consistent point (its manifest's <c>walLsn</c>).</summary>
    public static ulong BaseLsn(SnapshotRecord record) =>
        record.Snapshot.Manifest?["walLsn"]?.GetValue<string>() is { } lsn ? LogPosition.Parse(lsn) : 0;

    /// <summary>The coverage of <paramref name="slot"/>'s segments from <paramref name="fromLsn"/>.</summary>
    public static ChangeLogCoverage Of(IEnumerable<ChangeSegmentRecord> all, string slot, ulong fromLsn, DateTimeOffset? baseTime)
    {
        var segments = all.Where(s => s.Segment.Slot == slot && s.EndLsn > fromLsn).OrderBy(s => s.StartLsn).ThenBy(s => s.EndLsn).ToList();
        var covered = fromLsn;
        DateTimeOffset? toTime = baseTime;
        var gaps = new List<ChangeLogGap>();
        var used = 0;
        long transactions = 0;
        var chained = true;
        foreach (var segment in segments)
        {
            if (segment.StartLsn > covered)
            {
                gaps.Add(new ChangeLogGap(covered, segment.StartLsn));
                chained = false;
            }

            if (chained)
            {
                used++;
                transactions += segment.Segment.Transactions;
                toTime = toTime is { } t && t > segment.Segment.Time ? t : segment.Segment.Time;
            }

            covered = Math.Max(covered, segment.EndLsn);
        }

        var chainEnd = ChainEnd(segments, fromLsn);
        return new ChangeLogCoverage(slot, fromLsn, chainEnd, baseTime, toTime, used, transactions, gaps);
    }

    private static ulong ChainEnd(List<ChangeSegmentRecord> segments, ulong from)
    {
        var end = from;
        foreach (var segment in segments)
        {
            if (segment.StartLsn > end)
            {
                break;
            }

            end = Math.Max(end, segment.EndLsn);
        }

        return end;
    }

    /// <summary>Throws <see cref="ChangeLogShortException"/> when the target lies past what the log covers.</summary>
    public void Require(ulong? toLsn, DateTimeOffset? toTime)
    {
        var what = $"the change log of slot {Slot} covers {LogPosition.Format(FromLsn)} to {LogPosition.Format(ToLsn)}" +
            (FromTime is { } f && ToTime is { } t ? $" ({f:u} to {t:u})" : "") +
            (Gaps.Count > 0 ? $", then has a gap from {LogPosition.Format(Gaps[0].FromLsn)} to {LogPosition.Format(Gaps[0].ToLsn)}" : "");
        if (toLsn is { } lsn && lsn > ToLsn)
        {
            throw new ChangeLogShortException($"The log does not reach {LogPosition.Format(lsn)}: {what}. Choose a target within it (lifeboat snapshots --changes).");
        }

        if (toLsn is { } before && before < FromLsn)
        {
            throw new ChangeLogShortException($"{LogPosition.Format(before)} is before the base: {what}. Restore an earlier snapshot, or choose a target within it.");
        }

        if (toTime is { } time && (ToTime is not { } end || time > end))
        {
            throw new ChangeLogShortException($"The log does not reach {time:u}: {what}. Choose a target within it (lifeboat snapshots --changes).");
        }

        if (toTime is { } early && FromTime is { } start && early < start)
        {
            throw new ChangeLogShortException($"{early:u} is before the base was taken: {what}. Restore an earlier snapshot.");
        }
    }
}

/// <summary>The change log does not reach the point in time asked for (exit 55).</summary>
public sealed class ChangeLogShortException(string message) : Exception(message);
