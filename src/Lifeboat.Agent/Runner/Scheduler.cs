namespace Lifeboat.Agent.Runner;

/// <summary>
/// One schedule of one plan (its backup, its check, its drill...). <paramref name="Next"/> gives the first slot strictly
/// after a time; a run starts at its slot plus <paramref name="Jitter"/> (seeded per plan, so plans on the same
/// schedule do not all start at once); <paramref name="JobFor"/> makes the job for a slot.
/// </summary>
internal sealed record ScheduledWork(
    string Key, Func<DateTimeOffset, DateTimeOffset?> Next, TimeSpan Jitter, bool RunMissed, TimeSpan MaxDelay, Func<DateTimeOffset, Job> JobFor)
{
    /// <summary>The work of one job of a plan, as the plan file schedules it (no max_delay: never reported late).</summary>
    public static ScheduledWork For(string plan, string kind, Scheduling.JobSchedule schedule, Func<DateTimeOffset, Job> jobFor) =>
        new($"{plan}/{kind}", schedule.Schedule.Next, schedule.DelayFor(plan), schedule.Missed == Scheduling.MissedRunPolicy.RunOnce,
            schedule.MaxDelay ?? TimeSpan.MaxValue, jobFor);
}

/// <summary>For which slot each schedule last ran to an end (succeeded or failed): the agent's journal.</summary>
internal interface ISlotLedger
{
    /// <summary>The slot the work of <paramref name="key"/> last ran for; null if it never did.</summary>
    Task<DateTimeOffset?> LastRunSlotAsync(string key, CancellationToken cancellationToken);

    /// <summary>Records that the work of <paramref name="key"/> ran for <paramref name="slot"/> to an end.</summary>
    Task RecordAsync(string key, DateTimeOffset slot, CancellationToken cancellationToken);
}

/// <summary>What the scheduler did about a slot, for the journal, the log and the alerts (<see cref="Late"/>).</summary>
internal sealed record SlotEvent(string Key, DateTimeOffset? Slot, SlotAction Action, bool Late, string Reason);

/// <summary>What the scheduler did about a slot.</summary>
internal enum SlotAction
{
    /// <summary>A run was queued for the slot.</summary>
    Queued,

    /// <summary>Nothing ran for the slot (missed while the agent was down, with <c>missed: skip</c>; or the previous run still going).</summary>
    Skipped,
}

/// <summary>
/// Runs every <see cref="ScheduledWork"/> on its slots through the <see cref="JobQueue"/>. At start, a slot missed while
/// the agent was down is handled by <see cref="MissedRuns"/>; a slot whose previous run is still going is skipped and
/// said so (no pile-up); a slot reached late (the machine slept, the queue was full) past the max delay is reported
/// late. A slot counts as run once its job ended, failed or not, so an agent killed during a run runs that slot again
/// on restart (with <c>missed: run_once</c>) and one restarted after it never runs it twice.
/// </summary>
internal sealed class Scheduler(JobQueue queue, TimeProvider time, ISlotLedger ledger, Action<SlotEvent> report)
{
    /// <summary>Runs until <paramref name="cancellationToken"/> fires. <paramref name="watchedSince"/>: when the plans were first loaded.</summary>
    public Task RunAsync(IReadOnlyList<ScheduledWork> work, DateTimeOffset watchedSince, CancellationToken cancellationToken) =>
        Task.WhenAll(work.Select(w => RunOneAsync(w, watchedSince, cancellationToken)));

    private async Task RunOneAsync(ScheduledWork work, DateTimeOffset watchedSince, CancellationToken cancellationToken)
    {
        var last = await ledger.LastRunSlotAsync(work.Key, cancellationToken).ConfigureAwait(false);
        var decision = MissedRuns.Decide(work.Next, last, watchedSince, time.GetUtcNow(), work.RunMissed, work.MaxDelay);
        if (decision.RunNow && queue.IsActive(work.Key))
        {
            // the plans were reloaded while the run for that slot still goes: it is not missed, and not run twice
            report(new SlotEvent(work.Key, decision.Slot, SlotAction.Skipped, false, "a run for it is still going"));
        }
        else if (decision.RunNow)
        {
            Queue(work, decision.Slot!.Value, decision.Late, decision.Reason);
        }
        else if (decision.Missed > 0)
        {
            report(new SlotEvent(work.Key, null, SlotAction.Skipped, decision.Late, decision.Reason));
        }

        var next = decision.NextSlot;
        while (next is { } slot)
        {
            var wait = slot + work.Jitter - time.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var now = time.GetUtcNow();
            var late = now - slot > work.MaxDelay;
            if (queue.IsActive(work.Key))
            {
                report(new SlotEvent(work.Key, slot, SlotAction.Skipped, false, $"the run for the previous slot is still going: the slot of {UtcTime.Format(slot)} is skipped"));
            }
            else
            {
                Queue(work, slot, late, late ? $"started {Describe(now - slot)} after its slot, later than the max delay of {Describe(work.MaxDelay)}" : "on schedule");
            }

            // a slot reached late (the machine slept) is not followed by the slots that passed meanwhile
            next = work.Next(slot) is { } following && following > now ? following : work.Next(now);
        }
    }

    private void Queue(ScheduledWork work, DateTimeOffset slot, bool late, string reason)
    {
        report(new SlotEvent(work.Key, slot, SlotAction.Queued, late, reason));
        _ = RecordWhenEndedAsync(work.Key, slot, queue.Enqueue(work.JobFor(slot)));
    }

    /// <summary>Records the slot once its job ended (not when the agent's stop cancelled it: then it is still to run).</summary>
    private async Task RecordWhenEndedAsync(string key, DateTimeOffset slot, Task<JobOutcome> outcome)
    {
        if ((await outcome.ConfigureAwait(false)).Result == JobResult.Cancelled)
        {
            return;
        }

        try
        {
            await ledger.RecordAsync(key, slot, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            report(new SlotEvent(key, slot, SlotAction.Queued, false, $"the run ended, but the journal could not record it ({e.Message}): after a restart this slot may run again"));
        }
    }

    private static string Describe(TimeSpan span) => span.TotalMinutes >= 2 ? $"{span.TotalMinutes:0} minutes" : $"{span.TotalSeconds:0} seconds";
}
