using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Retention;

/// <summary>
/// Applies a <see cref="RetentionPolicy"/> to snapshots, per group. Pure: no storage, no clock
/// (the caller passes "now"), so it is easy to test and the same input always gives the same plan.
/// </summary>
/// <remarks>
/// Within a group, selected snapshots are visited newest first (ties by id). Each count rule
/// keeps a snapshot when its bucket differs from the bucket of the last snapshot that rule
/// kept, until the rule's count is used up: so it keeps the newest snapshot of each of the
/// newest N buckets that have snapshots. Duration rules do the same without a count, for
/// snapshots at or after the cut-off. Every rule sees every snapshot; a snapshot kept by a
/// tag or a hold still takes its place in the buckets (it is that bucket's newest snapshot).
/// </remarks>
public static class RetentionPlanner
{
    public static ForgetPlan Plan(
        IReadOnlyList<SnapshotRecord> snapshots,
        ForgetOptions options,
        IReadOnlyDictionary<BlobId, List<HoldEntry>> activeHolds,
        DateTimeOffset now)
    {
        options.Policy.Validate();
        var groups = new List<ForgetGroup>();
        foreach (var group in snapshots.GroupBy(s => KeyOf(s.Snapshot, options.GroupBy)).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal))
        {
            var selected = group.Where(s => options.Selects(s.Snapshot)).ToList();
            var decisions = Decide(selected, options, activeHolds, now);
            groups.Add(new ForgetGroup(group.Key, decisions, group.Count() - selected.Count));
        }

        return new ForgetPlan(groups, now, options.TimeZone, options.MinKeep);
    }

    public static GroupKey KeyOf(Snapshot snapshot, GroupBy groupBy) => new(
        groupBy.HasFlag(GroupBy.Host) ? snapshot.Host : null,
        groupBy.HasFlag(GroupBy.Kind) ? snapshot.Kind : null,
        groupBy.HasFlag(GroupBy.Source) ? snapshot.Source : null,
        groupBy.HasFlag(GroupBy.Tags) ? string.Join(",", snapshot.Tags.Order(StringComparer.Ordinal)) : null);

    private static List<ForgetDecision> Decide(
        List<SnapshotRecord> selected, ForgetOptions options, IReadOnlyDictionary<BlobId, List<HoldEntry>> activeHolds, DateTimeOffset now)
    {
        var policy = options.Policy;
        var zone = options.TimeZone;
        var newestFirst = selected.OrderByDescending(s => s.Snapshot.Time).ThenByDescending(s => s.Id).ToList();
        if (newestFirst.Count == 0)
        {
            return [];
        }

        // Durations count back from the newest snapshot, but never from a time after now.
        var reference = newestFirst[0].Snapshot.Time < now ? newestFirst[0].Snapshot.Time : now;
        var withinCutoff = policy.KeepWithin?.SubtractFrom(reference, zone);
        var counts = policy.Counts.Where(c => c.Count > 0).Select(c => new BucketState(c.Unit, c.Count, null, CalendarBuckets.Adjective(c.Unit))).ToList();
        var withins = policy.WithinBuckets
            .Select(w => new BucketState(w.Unit, int.MaxValue, w.Duration.SubtractFrom(reference, zone), $"{CalendarBuckets.Adjective(w.Unit)} within {w.Duration}"))
            .ToList();
        var lastLeft = policy.KeepLast;
        var decisions = new List<ForgetDecision>(newestFirst.Count);
        foreach (var record in newestFirst)
        {
            var snapshot = record.Snapshot;
            var reasons = new List<string>();
            if (activeHolds.TryGetValue(record.Id, out var holds))
            {
                reasons.AddRange(holds.Select(h => h.Describe()));
            }

            reasons.AddRange(policy.KeepTags.Where(t => snapshot.Tags.Contains(t, StringComparer.Ordinal)).Select(t => $"tag {t}"));
            if (lastLeft > 0)
            {
                lastLeft--;
                reasons.Add("last");
            }

            foreach (var bucket in counts.Concat(withins))
            {
                if (bucket.Offer(snapshot.Time, zone))
                {
                    reasons.Add(bucket.Name);
                }
            }

            if (withinCutoff is { } cutoff && snapshot.Time >= cutoff)
            {
                reasons.Add($"within {policy.KeepWithin}");
            }

            decisions.Add(new ForgetDecision(record, reasons.Count > 0, reasons));
        }

        return decisions;
    }

    private sealed class BucketState(CalendarUnit unit, int count, DateTimeOffset? cutoff, string name)
    {
        private int _left = count;
        private long? _lastKept;

        public string Name { get; } = name;

        /// <summary>Whether this rule keeps a snapshot at <paramref name="time"/> (visited newest first).</summary>
        public bool Offer(DateTimeOffset time, TimeZoneInfo zone)
        {
            if (_left <= 0 || (cutoff is { } c && time < c))
            {
                return false;
            }

            var key = CalendarBuckets.KeyOf(time, unit, zone);
            if (key == _lastKept)
            {
                return false;
            }

            _lastKept = key;
            _left--;
            return true;
        }
    }
}
