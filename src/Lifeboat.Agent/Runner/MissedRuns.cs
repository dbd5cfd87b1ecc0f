namespace Lifeboat.Agent.Runner;

/// <summary>What the agent does about a plan's slot when it (re)starts or wakes up.</summary>
/// <param name="RunNow">Start a run now for the slot <paramref name="Slot"/>.</param>
/// <param name="Slot">The slot the run is for (null when nothing is due).</param>
/// <param name="Late">The slot was missed by more than the plan's max delay: say so (an alert), whether or not it runs.</param>
/// <param name="NextSlot">The next slot to wait for after this decision; null when the schedule has no more (a cron date that never comes again).</param>
/// <param name="Reason">For the journal and the log.</param>
/// <param name="Missed">How many slots passed without a run.</param>
internal sealed record SlotDecision(bool RunNow, DateTimeOffset? Slot, bool Late, DateTimeOffset? NextSlot, string Reason, int Missed);

/// <summary>
/// Slots missed while the agent was down or busy. The journal says for which slot a plan last ran; every slot after it
/// up to now was missed. Policy <c>run_once</c> runs one run now for the latest missed slot (never one per missed
/// slot: ten missed hourly slots are one backup, not ten), and a run that starts more than <c>max_delay</c> after its
/// slot is reported as late instead of being started silently late; <c>skip</c> waits for the next slot (the
/// freshness check says when that leaves the plan overdue).
/// A restart after a run that completed its slot finds nothing missed: no double run.
/// </summary>
internal static class MissedRuns
{
    /// <summary>
    /// The decision at <paramref name="now"/>. <paramref name="next"/> gives the first slot strictly after a time;
    /// <paramref name="lastRunSlot"/> is the slot the plan last ran for (null if it never ran: then nothing counts as
    /// missed before <paramref name="watchedSince"/>).
    /// </summary>
    public static SlotDecision Decide(
        Func<DateTimeOffset, DateTimeOffset?> next, DateTimeOffset? lastRunSlot, DateTimeOffset watchedSince, DateTimeOffset now,
        bool runMissed, TimeSpan maxDelay)
    {
        if (next(lastRunSlot ?? watchedSince) is not { } first || first > now)
        {
            return new SlotDecision(false, null, false, next(lastRunSlot ?? watchedSince), "no slot missed", 0);
        }

        // the latest slot at or before now, and how many were missed
        var latest = first;
        var missed = 1;
        for (var candidate = next(first); candidate is { } c && c <= now; candidate = next(c))
        {
            latest = c;
            missed++;
        }

        // only a run that starts late is late; a skipped slot shows as overdue if no later run succeeds in time
        var late = runMissed && now - latest > maxDelay;
        var upcoming = next(now);
        var what = missed == 1 ? $"the slot of {UtcTime.Format(latest)} was missed" : $"{missed} slots were missed, the latest at {UtcTime.Format(latest)}";
        return runMissed
            ? new SlotDecision(true, latest, late, upcoming, $"{what}: running once now{(late ? $", later than the max delay of {maxDelay}" : "")}", missed)
            : new SlotDecision(false, null, late, upcoming, $"{what}: skipped (missed: skip); {(upcoming is { } u ? $"next slot {UtcTime.Format(u)}" : "the schedule has no later slot")}", missed);
    }
}
