using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Retention;

/// <summary>What forget decided for one snapshot: keep or remove, and the rules that keep it.</summary>
public sealed record ForgetDecision(SnapshotRecord Record, bool Keep, IReadOnlyList<string> Reasons);

/// <summary>The identity of a group: the values of the grouped properties.</summary>
public sealed record GroupKey(string? Host, string? Kind, string? Source, string? Tags)
{
    public override string ToString()
    {
        var parts = new List<string>();
        if (Host is not null)
        {
            parts.Add($"host {Host}");
        }

        if (Kind is not null)
        {
            parts.Add($"kind {Kind}");
        }

        if (Source is not null)
        {
            parts.Add($"source {Source}");
        }

        if (Tags is not null)
        {
            parts.Add($"tags [{Tags}]");
        }

        return parts.Count > 0 ? string.Join(", ", parts) : "all snapshots";
    }
}

/// <summary>One group's decisions (newest first) and the snapshots the policy did not select.</summary>
public sealed record ForgetGroup(GroupKey Key, IReadOnlyList<ForgetDecision> Decisions, int Unselected)
{
    public int Kept => Decisions.Count(d => d.Keep);

    public int Removed => Decisions.Count(d => !d.Keep);

    /// <summary>Snapshots of the group that remain: kept and unselected ones.</summary>
    public int Remaining => Kept + Unselected;
}

/// <summary>The outcome of applying a policy: per group, what stays and what goes.</summary>
public sealed record ForgetPlan(IReadOnlyList<ForgetGroup> Groups, DateTimeOffset Now, TimeZoneInfo TimeZone, int MinKeep)
{
    public IEnumerable<SnapshotRecord> ToRemove => Groups.SelectMany(g => g.Decisions).Where(d => !d.Keep).Select(d => d.Record);

    public IEnumerable<SnapshotRecord> ToKeep => Groups.SelectMany(g => g.Decisions).Where(d => d.Keep).Select(d => d.Record);

    /// <summary>Groups that would be left with fewer than <see cref="MinKeep"/> snapshots.</summary>
    public IReadOnlyList<ForgetGroup> GuardViolations => [.. Groups.Where(g => g.Removed > 0 && g.Remaining < MinKeep)];

    public ISet<BlobId> RemovedIds => ToRemove.Select(r => r.Id).ToHashSet();
}

/// <summary>Forget refused because the policy would leave a group with fewer snapshots than --min-keep.</summary>
public sealed class RetentionGuardException(string message, ForgetPlan plan) : RepositoryException(message)
{
    public ForgetPlan Plan { get; } = plan;

    public static RetentionGuardException For(ForgetPlan plan)
    {
        var groups = plan.GuardViolations;
        var first = groups[0];
        var text = groups.Count == 1 ? $"the group '{first.Key}'" : $"{groups.Count} groups (first: '{first.Key}')";
        return new RetentionGuardException(
            $"refused: the policy would leave {text} with {first.Remaining} snapshot(s), fewer than --min-keep {plan.MinKeep}; " +
            "nothing was removed. Widen the policy (e.g. --keep-last 1), or pass --min-keep 0 to allow emptying a group",
            plan);
    }
}

/// <summary>Forget refused because a snapshot it was asked to remove by id is held; nothing was removed.</summary>
public sealed class SnapshotHeldException(string message, IReadOnlyList<HoldEntry> holds) : RepositoryException(message)
{
    /// <summary>The active holds that refused it.</summary>
    public IReadOnlyList<HoldEntry> Holds { get; } = holds;

    public static SnapshotHeldException For(IReadOnlyList<HoldEntry> holds)
    {
        var each = string.Join("; ", holds.Select(h => $"snapshot {h.Record.Snapshot[..8]} is {h.Describe()}, since {h.Record.Time:yyyy-MM-dd HH:mm}Z by {h.Record.User}@{h.Record.Host}"));
        var first = holds[0].Record.Snapshot[..8];
        return new SnapshotHeldException(
            $"refused: {each}; nothing was removed. A held snapshot is never forgotten: release the hold first " +
            $"('lifeboat unhold {first} --reason TEXT', for each held snapshot), or wait until it expires",
            holds);
    }
}
