namespace Lifeboat.Agent.Scheduling;

/// <summary>What the agent does with a slot that passed while it was not running.</summary>
public enum MissedRunPolicy
{
    /// <summary>Run once at start when one or more slots were missed (never once per missed slot).</summary>
    RunOnce,

    /// <summary>Wait for the next slot.</summary>
    Skip,
}

/// <summary>One planned start: the schedule's slot, and the start after the plan's jitter.</summary>
public sealed record ScheduledRun(DateTimeOffset Slot, DateTimeOffset Start);

/// <summary>
/// When one job of a plan (its backup, check, drill or prune) runs: the schedule, the zone it is shown (and, for cron,
/// read) in, the missed-run policy, the longest acceptable start delay, and the most jitter.
/// </summary>
public sealed record JobSchedule(ISchedule Schedule, TimeZoneInfo TimeZone, MissedRunPolicy Missed, TimeSpan? MaxDelay, TimeSpan Jitter)
{
    /// <summary>The plan's delay after each slot: its seeded jitter (<see cref="Scheduling.Jitter"/>) in whole seconds.</summary>
    public TimeSpan DelayFor(string plan) => TimeSpan.FromSeconds(Math.Floor(Scheduling.Jitter.For(plan, Jitter).TotalSeconds));

    /// <summary>The next <paramref name="count"/> starts strictly after <paramref name="after"/> of the plan named <paramref name="plan"/> (its jitter is seeded by the name).</summary>
    public IReadOnlyList<ScheduledRun> NextRuns(string plan, DateTimeOffset after, int count)
    {
        var delay = DelayFor(plan);
        var runs = new List<ScheduledRun>(count);
        var from = after - delay;
        while (runs.Count < count && Schedule.Next(from) is { } slot)
        {
            runs.Add(new ScheduledRun(slot, slot + delay));
            from = slot;
        }

        return runs;
    }

    /// <summary>Whether a start at <paramref name="start"/> for <paramref name="run"/> is later than <see cref="MaxDelay"/> allows (an alert, not a silent late start).</summary>
    public bool IsLate(ScheduledRun run, DateTimeOffset start) => MaxDelay is { } max && start > run.Start + max;
}
