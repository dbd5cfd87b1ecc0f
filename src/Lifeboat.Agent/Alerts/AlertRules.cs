using System.Globalization;
using Lifeboat.Agent.Journal;

namespace Lifeboat.Agent.Alerts;

/// <summary>
/// Turns what the agent measures into observations for <see cref="AlertTracker"/>: a run's result, the repository's
/// stored bytes against its quota, a drill's RTO and RPO, a copy's lag, and a backup's figures against the plan's
/// recent good runs. Pure functions; the figures' names are the journal's (<see cref="Figures"/>).
/// </summary>
internal static class AlertRules
{
    /// <summary>The condition a failed run of <paramref name="kind"/> raises (prune failures count as check failures: both keep the repository sound).</summary>
    public static AlertCondition FailureOf(RunKind kind) => kind switch
    {
        RunKind.Backup => AlertCondition.BackupFailed,
        RunKind.Copy => AlertCondition.CopyFailed,
        RunKind.Drill => AlertCondition.DrillFailed,
        _ => AlertCondition.CheckFailed,
    };

    /// <summary>A finished run: broken when it failed (with its error), healthy when it succeeded; null when cancelled or still running (says nothing).</summary>
    public static AlertObservation? Run(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var at = run.EndedAt ?? run.StartedAt;
        return run.Result switch
        {
            RunResult.Failed => AlertObservation.Failing(run.Plan, FailureOf(run.Kind), at, run.Error ?? "the run failed"),
            RunResult.Succeeded => AlertObservation.Healthy(run.Plan, FailureOf(run.Kind), at),
            _ => null,
        };
    }

    /// <summary>Broken when <paramref name="storedBytes"/> is above <paramref name="percent"/> % of <paramref name="quotaBytes"/>.</summary>
    public static AlertObservation Storage(string plan, string repository, long storedBytes, long quotaBytes, double percent, DateTimeOffset at)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quotaBytes);
        var used = 100.0 * storedBytes / quotaBytes;
        return used > percent
            ? AlertObservation.Failing(plan, AlertCondition.StorageAboveQuota, at, Invariant($"repository {repository} holds {storedBytes} bytes, {used:0.#} % of its quota of {quotaBytes} (alert above {percent:0.#} %)"))
            : AlertObservation.Healthy(plan, AlertCondition.StorageAboveQuota, at);
    }

    /// <summary>Broken when a drill's measured RTO or RPO is above its objective (an objective that is null is not checked).</summary>
    public static AlertObservation Objectives(string plan, TimeSpan rto, TimeSpan? rtoObjective, TimeSpan rpo, TimeSpan? rpoObjective, DateTimeOffset at)
    {
        var missed = new List<string>(2);
        if (rtoObjective is { } maxRto && rto > maxRto)
        {
            missed.Add($"RTO {Durations.Format(rto)} above the objective {Durations.Format(maxRto)}");
        }

        if (rpoObjective is { } maxRpo && rpo > maxRpo)
        {
            missed.Add($"RPO {Durations.Format(rpo)} above the objective {Durations.Format(maxRpo)}");
        }

        return missed.Count > 0
            ? AlertObservation.Failing(plan, AlertCondition.ObjectiveMissed, at, "the drill's " + string.Join("; ", missed))
            : AlertObservation.Healthy(plan, AlertCondition.ObjectiveMissed, at);
    }

    /// <summary>
    /// Broken when a copy repository is more than <paramref name="maxLag"/> behind the primary (the newest snapshot of the
    /// source there against the one just made); a copy whose lag is unknown (its repository could not be read) says
    /// nothing here: its failure is the <c>copy_failed</c> condition's.
    /// </summary>
    public static AlertObservation? CopyLag(string plan, IReadOnlyList<Jobs.CopyReport> copies, TimeSpan maxLag, DateTimeOffset at)
    {
        var known = copies.Where(c => c.LagSeconds is not null).ToArray();
        if (known.Length == 0)
        {
            return null;
        }

        var behind = known.Where(c => TimeSpan.FromSeconds(c.LagSeconds!.Value) > maxLag).ToArray();
        return behind.Length > 0
            ? AlertObservation.Failing(plan, AlertCondition.CopyLag, at, string.Join("; ", behind.Select(c =>
                $"the copy in {c.Repository} is {Durations.Format(TimeSpan.FromSeconds(c.LagSeconds!.Value))} behind the primary (allowed: {Durations.Format(maxLag)})")))
            : AlertObservation.Healthy(plan, AlertCondition.CopyLag, at);
    }

    /// <summary>
    /// The anomaly observation of a successful backup <paramref name="run"/> against <paramref name="history"/>, the
    /// plan's recent runs newest first as <see cref="RunJournal.RecentRunsAsync"/> returns them (the run itself and
    /// whatever is not a successful backup are skipped; the caller chooses how many, e.g. the last 20). Its size
    /// (<see cref="OutlierRule.Size"/>) and duration (<see cref="OutlierRule.Duration"/>) are both checked. Null when
    /// the run is not a successful backup (it says nothing about anomalies).
    /// </summary>
    public static AlertObservation? Anomaly(RunRecord run, IReadOnlyList<RunRecord> history)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(history);
        if (run.Kind != RunKind.Backup || run.Result != RunResult.Succeeded)
        {
            return null;
        }

        var good = history.Where(r => r.Id != run.Id && r.Kind == RunKind.Backup && r.Result == RunResult.Succeeded).Reverse().ToArray();
        var reasons = new List<string>(2);
        foreach (var (figure, rule, what) in new[] { (Figures.SizeBytes, OutlierRule.Size, "size"), (Figures.DurationSeconds, OutlierRule.Duration, "duration") })
        {
            if (!run.Figures.TryGetValue(figure, out var value))
            {
                continue;
            }

            var past = good.Where(r => r.Figures.ContainsKey(figure)).Select(r => r.Figures[figure]).ToArray();
            if (rule.Evaluate(past, value) is { IsOutlier: true, Reason: { } reason })
            {
                reasons.Add($"{what} {reason}");
            }
        }

        var at = run.EndedAt ?? run.StartedAt;
        return reasons.Count > 0
            ? AlertObservation.Failing(run.Plan, AlertCondition.Anomaly, at, "backup " + string.Join("; ", reasons))
            : AlertObservation.Healthy(run.Plan, AlertCondition.Anomaly, at);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The names of the run figures the journal keeps and the rules read.</summary>
internal static class Figures
{
    /// <summary>The backup's logical size in bytes.</summary>
    public const string SizeBytes = "size_bytes";

    /// <summary>The bytes the backup added to the repository.</summary>
    public const string AddedBytes = "added_bytes";

    /// <summary>The run's duration in seconds.</summary>
    public const string DurationSeconds = "duration_seconds";
}
