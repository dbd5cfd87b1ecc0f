using Lifeboat.Repository;
using Lifeboat.Repository.Audit;

namespace Lifeboat.Operations.Status;

/// <summary>Nagios-style states; the numbers are <c>status</c>'s exit codes.</summary>
public enum Health
{
    /// <summary>Everything is fresh.</summary>
    Ok = 0,

    /// <summary>Something is past its limit by at most the warning margin, or its latest attempt failed.</summary>
    Warning = 1,

    /// <summary>Something is further past its limit, or never happened.</summary>
    Critical = 2,
}

/// <summary>The freshness limits; a null limit is not checked.</summary>
public sealed record StatusLimits(TimeSpan? MaxBackupAge, TimeSpan? MaxDrillAge, TimeSpan? MaxCheckAge)
{
    /// <summary>How far past a limit is still a warning (0.2 = up to 20% past), before it becomes critical.</summary>
    public double WarningMargin { get; init; } = 0.2;
}

/// <summary>The freshness of one thing (a source's backups or drills, the repository's checks).</summary>
public sealed record StatusItem(string What, string Subject, Health Health, DateTimeOffset? Last, double? AgeSeconds, double? LimitSeconds, string Message);

/// <summary>The overall state (the worst item) and every item.</summary>
public sealed record StatusReport(Health Health, DateTimeOffset Now, IReadOnlyList<StatusItem> Items)
{
    /// <summary>The items that are not OK, worst first.</summary>
    public IEnumerable<StatusItem> Problems => Items.Where(i => i.Health != Health.Ok).OrderByDescending(i => i.Health);
}

/// <summary>
/// <c>lifeboat status</c>: is the latest successful backup (per source), drill (per source) and
/// check (per repository) recent enough? Backups come from the snapshots (the commit point), drills
/// and checks from the audit log. Past a limit by at most the warning margin is WARNING, further
/// (or never) is CRITICAL; a failed attempt newer than the latest success is at least WARNING.
/// A snapshot that cannot be read is CRITICAL (it cannot be restored), listed first; backup ages count
/// only the readable snapshots (the newest restorable backup is what matters), and its item says so.
/// </summary>
public static class RepositoryStatus
{
    /// <summary>Reads snapshots and the audit log and evaluates them at the provider's "now".</summary>
    public static async Task<StatusReport> RunAsync(BackupRepository repository, StatusLimits limits, TimeProvider time, CancellationToken cancellationToken)
    {
        var (snapshots, damaged) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken);
        var audit = await AuditLog.ReadAllAsync(repository, cancellationToken);
        return Evaluate(snapshots, [.. audit.Select(e => e.Record)], limits, time.GetUtcNow(), DamagedSnapshot.From(damaged));
    }

    /// <summary>The evaluation itself, at <paramref name="now"/>; <paramref name="damaged"/>: the snapshots that cannot be read.</summary>
    public static StatusReport Evaluate(
        IReadOnlyList<SnapshotRecord> snapshots, IReadOnlyList<AuditRecord> audit, StatusLimits limits, DateTimeOffset now, IReadOnlyList<DamagedSnapshot>? damaged = null)
    {
        var items = (damaged ?? []).Select(d => Damaged(d, snapshots, audit)).ToList();
        var sources = snapshots.Select(s => s.Snapshot.Source)
            .Concat(audit.Where(r => r.Operation == "backup" && r.Source is not null).Select(r => r.Source!))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (sources.Count == 0 && limits.MaxBackupAge is not null)
        {
            items.Add(new StatusItem("backup", "repository", Health.Critical, null, null, limits.MaxBackupAge?.TotalSeconds, "CRITICAL: the repository holds no backup"));
        }

        foreach (var source in sources)
        {
            if (limits.MaxBackupAge is { } maxAge)
            {
                var last = snapshots.Where(s => s.Snapshot.Source == source).Select(s => (DateTimeOffset?)s.Snapshot.Time).Max();
                items.Add(Rate("backup", source, last, LastFailure(audit, "backup", source, last), maxAge, limits, now));
            }

            if (limits.MaxDrillAge is { } maxDrill && snapshots.Any(s => s.Snapshot.Source == source && s.Snapshot.Kind == DatabaseBackup.Kind))
            {
                var last = LastSuccess(audit, "drill", source);
                items.Add(Rate("drill", source, last, LastFailure(audit, "drill", source, last), maxDrill, limits, now));
            }
        }

        if (limits.MaxCheckAge is { } maxCheck)
        {
            var last = LastSuccess(audit, "check", null);
            items.Add(Rate("check", "repository", last, LastFailure(audit, "check", null, last), maxCheck, limits, now));
        }

        return new StatusReport(items.Count == 0 ? Health.Ok : items.Max(i => i.Health), now, items);
    }

    /// <summary>
    /// A snapshot that cannot be read: CRITICAL. The audit record of the backup that made it (when there
    /// is one) tells its source and time, though the object cannot be read; the newest readable backup of
    /// that source is what the backup age counts.
    /// </summary>
    private static StatusItem Damaged(DamagedSnapshot damaged, IReadOnlyList<SnapshotRecord> snapshots, IReadOnlyList<AuditRecord> audit)
    {
        var made = audit.Where(r => r.Operation == "backup" && r.Status == AuditStatus.Ok && r.Source is not null && r.Snapshots.Contains(damaged.Id))
            .MaxBy(r => r.Finished);
        string context;
        if (made is not null)
        {
            var newest = snapshots.LastOrDefault(s => s.Snapshot.Source == made.Source);
            context = $"it is the backup of {made.Source} made at {Time(made.Finished)} (audit log); backup ages count only readable snapshots, and " +
                (newest is null ? $"{made.Source} has no readable backup left" : $"the newest readable backup of {made.Source} is {newest.ShortId} at {Time(newest.Snapshot.Time)}");
        }
        else
        {
            var newest = snapshots.Count > 0 ? snapshots[^1] : null;
            context = "no audit record names it, so its source and time are unknown; backup ages count only readable snapshots" +
                (newest is null ? ", and none is left" : $" (the newest readable one is {newest.ShortId} at {Time(newest.Snapshot.Time)}, {newest.Snapshot.Source})");
        }

        return new StatusItem("snapshot", damaged.Id, Health.Critical, made?.Finished, null, null,
            $"CRITICAL: snapshot {damaged.ShortId} cannot be read, so cannot be restored ({damaged.Error}); {context}. " +
            $"Run 'lifeboat check', then 'lifeboat forget {damaged.ShortId}'");
    }

    private static StatusItem Rate(string what, string subject, DateTimeOffset? last, AuditRecord? failure, TimeSpan limit, StatusLimits limits, DateTimeOffset now)
    {
        var of = what == "check" ? "check of the repository" : $"{what} of {subject}";
        var failed = failure is null ? "" : $"; the last attempt failed at {Time(failure.Finished)}: {failure.Error}";
        if (last is not { } when)
        {
            return new StatusItem(what, subject, Health.Critical, null, null, limit.TotalSeconds,
                $"CRITICAL: no successful {of} recorded (limit {Durations.Format(limit)}){failed}");
        }

        var age = now - when;
        var health = age <= limit ? Health.Ok : age.TotalSeconds <= limit.TotalSeconds * (1 + limits.WarningMargin) ? Health.Warning : Health.Critical;
        if (failure is not null && health == Health.Ok)
        {
            health = Health.Warning;
        }

        var state = health switch { Health.Ok => "OK", Health.Warning => "WARNING", _ => "CRITICAL" };
        var verdict = age <= limit ? ":" : " is overdue:";
        var message = $"{state}: {of}{verdict} last at {Time(when)}, {Durations.Format(age)} ago (limit {Durations.Format(limit)}){failed}";
        return new StatusItem(what, subject, health, when, age.TotalSeconds, limit.TotalSeconds, message);
    }

    private static DateTimeOffset? LastSuccess(IReadOnlyList<AuditRecord> audit, string operation, string? source) =>
        audit.Where(r => r.Operation == operation && r.Status == AuditStatus.Ok && (source is null || r.Source == source))
            .Select(r => (DateTimeOffset?)r.Finished).Max();

    private static AuditRecord? LastFailure(IReadOnlyList<AuditRecord> audit, string operation, string? source, DateTimeOffset? after) =>
        audit.Where(r => r.Operation == operation && r.Status == AuditStatus.Failed && (source is null || r.Source == source) && (after is null || r.Finished > after))
            .MaxBy(r => r.Finished);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
