using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Agent.Runner;

namespace Lifeboat.Agent.Host;

/// <summary>The schedules, the runs they queue and those asked for, and the watches (freshness, the plan file).</summary>
internal sealed partial class AgentHost
{
    /// <summary>Queues a backup of <paramref name="planName"/> now (<c>lifeboat run</c>, <c>POST /api/plans/NAME/run</c>).</summary>
    /// <exception cref="KeyNotFoundException">No plan of that name.</exception>
    public async Task<RunAnswer> RunNowAsync(string planName, RunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var plan = _file.Plans.FirstOrDefault(p => p.Name == planName)
            ?? throw new KeyNotFoundException($"no plan '{planName}' in {_file.Path}: the plans are {string.Join(", ", _file.Plans.Select(p => p.Name))}");
        var options = new RunOptions(request.Tags ?? [], request.HoldUntil, 0) { HoldReason = request.Reason };
        var ended = new TaskCompletionSource<RunEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = new Job(
            $"{plan.Name}/backup/on-demand/{Interlocked.Increment(ref _asked)}", $"on-demand backup of plan {plan.Name}", JobPriority.OnDemand,
            Resources(plan, RunKind.Backup), Body(plan.Name, RunKind.Backup, options, ended));
        var outcome = _queue.Enqueue(job);
        _log.Write(LogLevel.Info, $"{plan.Name}/backup", "on-demand run queued");
        if (!request.Wait)
        {
            return new RunAnswer(plan.Name, "queued", "agent", null, null, []);
        }

        var finished = await outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!ended.Task.IsCompleted)
        {
            // it never ran: the agent stopped before it started
            return new RunAnswer(plan.Name, "cancelled", "agent", null, finished.Error?.Message, []);
        }

        var end = await ended.Task.ConfigureAwait(false);
        return new RunAnswer(plan.Name, PlansReport.Name(end.Record.Result), "agent", PlansReport.View(end.Record), end.Report?.Summary, end.Report?.Warnings ?? []);
    }

    private void StartSchedules()
    {
        var file = _file;
        var work = file.Plans.SelectMany(plan => plan.Jobs().Select(job =>
        {
            var kind = Enum.Parse<RunKind>(job.Kind, ignoreCase: true);
            return ScheduledWork.For(plan.Name, job.Kind, job.Schedule, slot => new Job(
                $"{plan.Name}/{job.Kind}", $"{job.Kind} of plan {plan.Name}", Priority(kind), Resources(plan, kind), Body(plan.Name, kind, null, null)));
        })).ToArray();
        _schedule = new CancellationTokenSource();
        var scheduler = new Scheduler(_queue, _time, _journal, Slot);
        var token = _schedule.Token;
        _scheduler = Task.Run(() => scheduler.RunAsync(work, _startedAt, token));
    }

    private async Task StopSchedulesAsync()
    {
        await _schedule.CancelAsync().ConfigureAwait(false);
        try
        {
            await _scheduler.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _schedule.Dispose();
    }

    /// <summary>What the scheduler did about a slot: logged, and a late start alerted (an on-time one resolves it).</summary>
    private void Slot(SlotEvent e)
    {
        var plan = e.Key[..e.Key.IndexOf('/', StringComparison.Ordinal)];
        var at = _time.GetUtcNow();
        if (e.Late)
        {
            _log.Write(LogLevel.Warning, e.Key, e.Reason);
            _alerts.Observe(AlertObservation.Failing(plan, AlertCondition.StartedLate, at, $"{e.Key}: {e.Reason}"));
            return;
        }

        _log.Write(e.Action == SlotAction.Skipped ? LogLevel.Warning : LogLevel.Info, e.Key, e.Action == SlotAction.Skipped ? $"skipped: {e.Reason}" : $"queued: {e.Reason}");
        if (e.Action == SlotAction.Queued)
        {
            _alerts.Observe(AlertObservation.Healthy(plan, AlertCondition.StartedLate, at));
        }
    }

    /// <summary>The body of a job: the plan as the file says now (it may have been reloaded), run through the executor.</summary>
    private Func<CancellationToken, Task> Body(string planName, RunKind kind, RunOptions? asked, TaskCompletionSource<RunEnd>? ended) => async cancellationToken =>
    {
        try
        {
            var file = _file;
            if (file.Plans.FirstOrDefault(p => p.Name == planName) is not { } plan)
            {
                throw new OperationCanceledException($"plan {planName} was removed from the plan file before its run started");
            }

            var round = kind == RunKind.Check ? await _journal.CountEndedRunsAsync(planName, kind, cancellationToken).ConfigureAwait(false) : 0;
            var options = (asked ?? RunOptions.Scheduled) with { Round = round };
            var end = await _executor.RunAsync(file, plan, kind, options, cancellationToken).ConfigureAwait(false);
            ended?.TrySetResult(end);
            if (end.Record.Result == RunResult.Cancelled)
            {
                throw new OperationCanceledException("the agent stopped during the run", cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.Write(LogLevel.Error, $"{planName}/{PlansReport.Name(kind)}", $"the run could not be journaled: {e.Message}");
            ended?.TrySetException(e);
            throw;
        }
    };

    private static JobPriority Priority(RunKind kind) => kind switch
    {
        RunKind.Backup => JobPriority.ScheduledBackup,
        RunKind.Drill => JobPriority.Drill,
        _ => JobPriority.Maintenance,
    };

    /// <summary>What a job needs alone: its repository, and for a backup its database too.</summary>
    private static IReadOnlyList<string> Resources(PlanSettings plan, RunKind kind) =>
        kind == RunKind.Backup ? [$"repository:{plan.Repository}", $"database:{plan.Source}"] : [$"repository:{plan.Repository}"];

    /// <summary>Every few seconds: each plan's freshness, observed (the overdue alert) and kept for <c>/healthz</c>.</summary>
    private async Task WatchFreshnessAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.FreshnessEvery, _time);
        do
        {
            var now = _time.GetUtcNow();
            var verdicts = new Dictionary<string, Health.FreshnessVerdict>(StringComparer.Ordinal);
            foreach (var plan in _file.Plans)
            {
                var verdict = PlansReport.Freshness(plan, _book, _startedAt, now);
                verdicts[plan.Name] = verdict;
                _alerts.Observe(verdict.Overdue
                    ? AlertObservation.Failing(plan.Name, AlertCondition.Overdue, now, verdict.Reason)
                    : AlertObservation.Healthy(plan.Name, AlertCondition.Overdue, now));
            }

            _freshness = verdicts;
        }
        while (await Tick(timer, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Every few seconds: whether the plan file changed (written, replaced by an editor); if so, a reload.</summary>
    private async Task WatchFileAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.WatchEvery, _time);
        while (await Tick(timer, cancellationToken).ConfigureAwait(false))
        {
            if (Stamp(_file.Path) != _seen)
            {
                await ReloadAsync("the plan file changed").ConfigureAwait(false);
            }
        }
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
