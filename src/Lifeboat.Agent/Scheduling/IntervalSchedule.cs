namespace Lifeboat.Agent.Scheduling;

/// <summary>
/// <c>every 6h</c>, <c>every 30m</c>: slots at the Unix epoch (1970-01-01T00:00:00Z) plus whole multiples of the
/// interval. Anchored to a fixed epoch, not to the agent's start, so a restart never shifts the slots (an interval that
/// divides a day lands on the same UTC times every day: every 6h is 00:00, 06:00, 12:00, 18:00 UTC).
/// </summary>
public sealed record IntervalSchedule(TimeSpan Interval) : ISchedule
{
    /// <summary>The smallest interval accepted: a plan more often than this would be its own queue.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromMinutes(1);

    /// <summary>The schedule as the plan file writes it, <c>every 6h</c>.</summary>
    public string Text => $"every {PlanFile.Units.FormatDuration(Interval)}";

    /// <summary>The first slot strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset after) => Previous(after) + Interval;

    DateTimeOffset? ISchedule.Next(DateTimeOffset after) => Next(after);

    /// <summary>The last slot at or before <paramref name="atOrBefore"/>.</summary>
    public DateTimeOffset Previous(DateTimeOffset atOrBefore)
    {
        var ticks = atOrBefore.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var slots = ticks >= 0 ? ticks / Interval.Ticks : -((-ticks + Interval.Ticks - 1) / Interval.Ticks);
        return DateTimeOffset.UnixEpoch.AddTicks(slots * Interval.Ticks);
    }
}
