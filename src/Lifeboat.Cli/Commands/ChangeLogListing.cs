using Lifeboat.Operations.Changes;
using Lifeboat.Repository;
using Lifeboat.Repository.Changes;

namespace Lifeboat.Cli.Commands;

/// <summary><c>snapshots --changes</c>: each base of <c>follow</c> with its change log's coverage.</summary>
internal static class ChangeLogListing
{
    public static async Task<int> WriteAsync(CliContext context, BackupRepository repository)
    {
        var records = await SnapshotStore.LoadAllAsync(repository, null, context.CancellationToken);
        var segments = await ChangeLogStore.LoadAllAsync(repository, null, context.CancellationToken);
        var items = records
            .Where(r => ChangeLogCoverage.SlotOf(r) is not null)
            .OrderBy(r => r.Snapshot.Time)
            .Select(r => (Record: r, Coverage: ChangeLogCoverage.Of(segments, ChangeLogCoverage.SlotOf(r)!, ChangeLogCoverage.BaseLsn(r), r.Snapshot.Time)))
            .ToList();
        if (context.Json)
        {
            IReadOnlyList<ChangeLogListItem> list = [.. items.Select(i => new ChangeLogListItem(
                i.Record.Id.ToString(), i.Record.Snapshot.Source, i.Coverage.Slot, LogPosition.Format(i.Coverage.FromLsn), LogPosition.Format(i.Coverage.ToLsn),
                i.Coverage.FromTime, i.Coverage.ToTime, i.Coverage.Segments, i.Coverage.Transactions,
                [.. i.Coverage.Gaps.Select(g => new ChangeLogGapItem(LogPosition.Format(g.FromLsn), LogPosition.Format(g.ToLsn)))]))];
            context.WriteJson(list);
            return ExitCodes.Ok;
        }

        foreach (var (record, coverage) in items)
        {
            Console.Out.WriteLine(
                $"{record.ShortId,-10} {record.Snapshot.Source} slot {coverage.Slot}: {LogPosition.Format(coverage.FromLsn)} to {LogPosition.Format(coverage.ToLsn)}" +
                $" ({coverage.FromTime?.UtcDateTime:yyyy-MM-dd HH:mm:ss} to {coverage.ToTime?.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC), {coverage.Transactions} transaction(s) in {coverage.Segments} segment(s)" +
                string.Concat(coverage.Gaps.Select(g => $"; gap {LogPosition.Format(g.FromLsn)} to {LogPosition.Format(g.ToLsn)}")));
        }

        context.Info($"{items.Count} base(s) with a change log");
        return ExitCodes.Ok;
    }
}

/// <summary>One base in <c>snapshots --changes --json</c>.</summary>
internal sealed record ChangeLogListItem(
    string Snapshot, string Source, string Slot, string FromLsn, string ToLsn, DateTimeOffset? FromTime, DateTimeOffset? ToTime, int Segments, long Transactions,
    IReadOnlyList<ChangeLogGapItem> Gaps);

/// <summary>A stretch the log does not hold.</summary>
internal sealed record ChangeLogGapItem(string FromLsn, string ToLsn);
