using System.Collections.Concurrent;
using System.Globalization;
using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Host;

/// <summary>How one run ended: its journal record, what the job reported (null when it threw), and what it threw.</summary>
internal sealed record RunEnd(RunRecord Record, JobReport? Report, Exception? Error);

/// <summary>
/// Runs one job of one plan the way every run goes, scheduled or asked for: journaled at its start and its end (with
/// its figures and error), its copies journaled one by one, the plan's book updated, and what it says about the plan's
/// alerts observed (failure, copy failure, anomaly, storage quota, drill objectives) and its pings sent, without
/// waiting for any delivery. A failure of the job is a journaled failed run, never an exception out of here; the
/// journal failing is (the agent's own file: the caller says so).
/// </summary>
internal sealed class RunExecutor(IPlanJobs jobs, RunJournal journal, PlanBook book, AlertLoop? alerts, IAgentLog log, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Plan, RunKind Kind), string> _status = new();

    /// <summary>The latest status line of the running job of <paramref name="plan"/> and <paramref name="kind"/>, if one runs.</summary>
    public string? Status(string plan, RunKind kind) => _status.TryGetValue((plan, kind), out var line) ? line : null;

    /// <summary>Runs the <paramref name="kind"/> job of <paramref name="plan"/>.</summary>
    public async Task<RunEnd> RunAsync(PlanFile.PlanFile file, PlanSettings plan, RunKind kind, RunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(plan);
        var subject = $"{plan.Name}/{PlansReport.Name(kind)}";
        var id = await journal.StartRunAsync(plan.Name, kind, CancellationToken.None).ConfigureAwait(false);
        var started = time.GetUtcNow();
        log.Write(LogLevel.Info, subject, options.ExtraTags.Count > 0 ? $"started (tags {string.Join(", ", options.ExtraTags)})" : "started");
        if (kind == RunKind.Backup)
        {
            alerts?.Ping(new Notification(NotificationKind.RunStarted, plan.Name, null, started));
        }

        JobReport? report = null;
        Exception? error = null;
        var status = new Progress(line =>
        {
            _status[(plan.Name, kind)] = line;
            log.Write(LogLevel.Info, subject, line);
        });
        try
        {
            report = await jobs.RunAsync(file, plan, kind, options, status, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a job's failure is a failed run, journaled and alerted; it never stops the agent
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
        }
        finally
        {
            _status.TryRemove((plan.Name, kind), out _);
        }

        var result = error switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => RunResult.Cancelled,
            not null => RunResult.Failed,
            _ => report!.Failure is null ? RunResult.Succeeded : RunResult.Failed,
        };
        var ended = time.GetUtcNow();
        var figures = new Dictionary<string, double>(report?.Figures ?? new Dictionary<string, double>(), StringComparer.Ordinal)
        {
            [Figures.DurationSeconds] = (ended - started).TotalSeconds,
        };
        var message = result switch
        {
            RunResult.Cancelled => "cancelled: the agent stopped during the run (nothing was committed by it)",
            RunResult.Failed => report?.Failure ?? Describe(error!),
            _ => null,
        };
        await journal.FinishRunAsync(id, result, figures, message, CancellationToken.None).ConfigureAwait(false);
        var record = new RunRecord(id, plan.Name, kind, started, ended, result, figures, message);
        book.Ended(record, plan.Repository);
        Log(subject, record, report);
        await ObserveAsync(file, plan, record, report).ConfigureAwait(false);
        return new RunEnd(record, report, error);
    }

    private void Log(string subject, RunRecord record, JobReport? report)
    {
        var took = Durations.Format(record.EndedAt!.Value - record.StartedAt);
        switch (record.Result)
        {
            case RunResult.Succeeded:
                log.Write(LogLevel.Info, subject, $"succeeded in {took}: {report!.Summary}");
                break;
            case RunResult.Cancelled:
                log.Write(LogLevel.Warning, subject, $"{record.Error} after {took}");
                break;
            default:
                log.Write(LogLevel.Error, subject, $"failed after {took}: {record.Error}");
                break;
        }

        foreach (var warning in report?.Warnings ?? [])
        {
            log.Write(LogLevel.Warning, subject, warning);
        }
    }

    private async Task ObserveAsync(PlanFile.PlanFile file, PlanSettings plan, RunRecord record, JobReport? report)
    {
        if (record.Result == RunResult.Cancelled)
        {
            return; // says nothing about the plan's health
        }

        Observe(AlertRules.Run(record));
        var at = record.EndedAt!.Value;
        if (record.Kind == RunKind.Backup && record.Result == RunResult.Succeeded)
        {
            alerts?.Ping(new Notification(NotificationKind.RunSucceeded, plan.Name, null, at, Detail: report!.Summary));
            var history = await journal.RecentRunsAsync(plan.Name, RunKind.Backup, 21, CancellationToken.None).ConfigureAwait(false);
            Observe(AlertRules.Anomaly(record, history));
            await CopiesAsync(plan, report!, at).ConfigureAwait(false);
        }

        if (record.Result == RunResult.Succeeded && file.Repository(plan.Repository) is { QuotaBytes: { } quota } repository
            && record.Figures.TryGetValue(PlanBook.StoredBytesFigure, out var stored))
        {
            Observe(AlertRules.Storage(plan.Name, repository.Name, (long)stored, quota, repository.StorageAlertPercent, at));
        }

        if (record.Kind == RunKind.Drill && record.Result == RunResult.Succeeded && plan.Drill is { } drill
            && record.Figures.TryGetValue("rto_seconds", out var rto) && record.Figures.TryGetValue("rpo_seconds", out var rpo))
        {
            Observe(AlertRules.Objectives(plan.Name, TimeSpan.FromSeconds(rto), drill.Rto, TimeSpan.FromSeconds(rpo), drill.Rpo, at));
        }
    }

    /// <summary>Journals each copy as a run of its own and observes the plan's copy condition once: broken when any copy failed.</summary>
    private async Task CopiesAsync(PlanSettings plan, JobReport report, DateTimeOffset at)
    {
        if (report.Copies.Count == 0)
        {
            return;
        }

        foreach (var copy in report.Copies)
        {
            var id = await journal.StartRunAsync(plan.Name, RunKind.Copy, CancellationToken.None).ConfigureAwait(false);
            var figures = copy.LagSeconds is { } lag ? new Dictionary<string, double> { ["lag_seconds"] = lag } : new Dictionary<string, double>();
            var error = copy.Error is null ? null : $"copy to {copy.Repository}: {copy.Error}";
            var result = copy.Succeeded ? RunResult.Succeeded : RunResult.Failed;
            await journal.FinishRunAsync(id, result, figures, error, CancellationToken.None).ConfigureAwait(false);
            book.Ended(new RunRecord(id, plan.Name, RunKind.Copy, at, time.GetUtcNow(), result, figures, error), copy.Repository);
            if (copy.LagSeconds is { } seconds)
            {
                book.CopyLag(plan.Name, copy.Repository, seconds);
            }

            log.Write(copy.Succeeded ? LogLevel.Info : LogLevel.Error, $"{plan.Name}/copy", copy.Succeeded ? $"copied to {copy.Repository}" : error!);
        }

        Observe(AlertRules.CopyLag(plan.Name, report.Copies, CopyMaxLag(plan, at), at));
        var failed = report.Copies.Where(c => !c.Succeeded).ToArray();
        Observe(failed.Length > 0
            ? AlertObservation.Failing(plan.Name, AlertCondition.CopyFailed, at, string.Join("; ", failed.Select(c => $"copy to {c.Repository}: {c.Error}")))
            : AlertObservation.Healthy(plan.Name, AlertCondition.CopyFailed, at));
    }

    /// <summary>
    /// The plan's <c>copy_max_lag</c>; without it, one interval of the backup's schedule (the gap to the slot after next)
    /// plus the freshness grace: a copy that missed one backup is a failed copy, one that missed two is behind.
    /// </summary>
    internal static TimeSpan CopyMaxLag(PlanSettings plan, DateTimeOffset at)
    {
        if (plan.CopyMaxLag is { } configured)
        {
            return configured;
        }

        var next = plan.Backup.Schedule.Schedule.Next;
        return next(at) is { } first && next(first) is { } second ? second - first + Health.Freshness.DefaultGrace : TimeSpan.MaxValue;
    }

    private void Observe(AlertObservation? observation)
    {
        if (observation is not null)
        {
            alerts?.Observe(observation);
        }
    }

    /// <summary>What failed, for the journal and the alert: the exception's message, which names no secret (the use cases' rule).</summary>
    private static string Describe(Exception error) => error switch
    {
        OperationCanceledException => "cancelled",
        _ when string.IsNullOrWhiteSpace(error.Message) => error.GetType().Name,
        _ => error.Message,
    };

    /// <summary>Calls its action synchronously (a status line is logged at once, in order), unlike <see cref="Progress{T}"/>.</summary>
    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
