namespace Lifeboat.Repository.Retention;

/// <summary>Keep the newest snapshot of each of the last <see cref="Count"/> buckets (that have snapshots).</summary>
public sealed record CalendarCountRule(CalendarUnit Unit, int Count);

/// <summary>Keep the newest snapshot of each bucket within <see cref="Duration"/> of the reference time.</summary>
public sealed record CalendarWithinRule(CalendarUnit Unit, RetentionDuration Duration);

/// <summary>
/// What <c>forget</c> keeps. A snapshot is kept when any rule keeps it (or it is held); every
/// other selected snapshot is removed. Rules follow restic's semantics: count rules take the
/// newest snapshot of each of the last N buckets that have snapshots; duration rules measure
/// back from the newest snapshot of the group (never later than now), so a source whose backups
/// stopped is not emptied by the passing of time.
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>The newest N snapshots.</summary>
    public int KeepLast { get; init; }

    public IReadOnlyList<CalendarCountRule> Counts { get; init; } = [];

    /// <summary>Every snapshot within this duration.</summary>
    public RetentionDuration? KeepWithin { get; init; }

    public IReadOnlyList<CalendarWithinRule> WithinBuckets { get; init; } = [];

    /// <summary>Snapshots carrying any of these tags.</summary>
    public IReadOnlyList<string> KeepTags { get; init; } = [];

    /// <summary>True when no rule keeps anything: such a policy is refused rather than applied.</summary>
    public bool IsEmpty =>
        KeepLast <= 0 && Counts.All(c => c.Count <= 0) && KeepWithin is null && WithinBuckets.Count == 0 && KeepTags.Count == 0;

    /// <summary>The policy in the words of the command line, e.g. "--keep-daily 30 --keep-within 7d".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (KeepLast > 0)
        {
            parts.Add($"--keep-last {KeepLast}");
        }

        parts.AddRange(Counts.Where(c => c.Count > 0).Select(c => $"--keep-{CalendarBuckets.Adjective(c.Unit)} {c.Count}"));
        if (KeepWithin is not null)
        {
            parts.Add($"--keep-within {KeepWithin}");
        }

        parts.AddRange(WithinBuckets.Select(w => $"--keep-within-{CalendarBuckets.Adjective(w.Unit)} {w.Duration}"));
        parts.AddRange(KeepTags.Select(t => $"--keep-tag {t}"));
        return string.Join(' ', parts);
    }

    /// <summary>Throws <see cref="InvalidRequestException"/> for negative counts or a policy that keeps nothing.</summary>
    public void Validate()
    {
        if (KeepLast < 0 || Counts.Any(c => c.Count < 0))
        {
            throw new InvalidRequestException("--keep-last and --keep-hourly/daily/weekly/monthly/yearly take a number of 0 or more");
        }

        if (IsEmpty)
        {
            throw new InvalidRequestException(
                "no retention rule given, so forget would remove every snapshot: give at least one --keep-* option, e.g. --keep-daily 30 --keep-weekly 12");
        }
    }
}

/// <summary>Which snapshot properties form a group (policies apply per group).</summary>
[Flags]
public enum GroupBy
{
    None = 0,
    Host = 1,
    Kind = 2,
    Source = 4,
    Tags = 8,
}

/// <summary>Everything <c>forget</c> needs besides the snapshots: the policy and how to apply it.</summary>
public sealed record ForgetOptions
{
    public required RetentionPolicy Policy { get; init; }

    /// <summary>
    /// Only snapshots matching one of these apply; each entry is a set of tags all of which a
    /// snapshot must carry. Empty: every snapshot.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Select { get; init; } = [];

    public GroupBy GroupBy { get; init; } = GroupBy.Host | GroupBy.Kind | GroupBy.Source;

    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Refuse when a group would keep fewer than this many snapshots (0 allows emptying one).</summary>
    public int MinKeep { get; init; } = 1;

    /// <summary>Only snapshots of this source apply (the agent's retention of one plan); null: every source.</summary>
    public string? Source { get; init; }

    public bool Selects(Snapshot snapshot) =>
        (Source is null || string.Equals(snapshot.Source, Source, StringComparison.Ordinal))
        && (Select.Count == 0 || Select.Any(all => all.All(tag => snapshot.Tags.Contains(tag, StringComparer.Ordinal))));
}
