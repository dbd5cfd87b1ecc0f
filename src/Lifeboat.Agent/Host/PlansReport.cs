using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Health;
using Lifeboat.Agent.Http;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.PlanFile;
using Lifeboat.Agent.Scheduling;

namespace Lifeboat.Agent.Host;

/// <summary>
/// The one view of every plan (<c>lifeboat plans</c>, <c>GET /api/plans</c>, <c>/healthz</c>): last run, result, next
/// run, freshness and alerts, built from a <see cref="PlanBook"/> (the serving agent's, or one read from the journal).
/// </summary>
internal static class PlansReport
{
    /// <summary>The kinds shown per plan, in order (copies only when the plan makes some).</summary>
    public static IEnumerable<RunKind> Kinds(PlanSettings plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        yield return RunKind.Backup;
        if (plan.Copies.Count > 0)
        {
            yield return RunKind.Copy;
        }

        if (plan.Check is not null)
        {
            yield return RunKind.Check;
        }

        if (plan.Drill is not null)
        {
            yield return RunKind.Drill;
        }

        if (plan.Prune is not null)
        {
            yield return RunKind.Prune;
        }
    }

    /// <summary>The schedule of <paramref name="kind"/> in <paramref name="plan"/>; null for copies (they follow each backup).</summary>
    public static JobSchedule? Schedule(PlanSettings plan, RunKind kind)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return kind switch
        {
            RunKind.Backup => plan.Backup.Schedule,
            RunKind.Check => plan.Check?.Schedule,
            RunKind.Drill => plan.Drill?.Schedule,
            RunKind.Prune => plan.Prune?.Schedule,
            _ => null,
        };
    }

    /// <summary>The next start of <paramref name="kind"/> after <paramref name="now"/>: its slot plus the plan's jitter.</summary>
    public static DateTimeOffset? NextRun(PlanSettings plan, RunKind kind, DateTimeOffset now) =>
        Schedule(plan, kind) is { } schedule && schedule.NextRuns(plan.Name, now, 1) is [var run] ? run.Start : null;

    /// <summary>Whether the plan's backups are fresh at <paramref name="now"/>, from its own schedule (docs/agent.md).</summary>
    public static FreshnessVerdict Freshness(PlanSettings plan, PlanBook book, DateTimeOffset watchedSince, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(book);
        var schedule = plan.Backup.Schedule;
        var delay = schedule.DelayFor(plan.Name);
        return Health.Freshness.Evaluate(
            t => schedule.Schedule.Next(t - delay) is { } slot ? slot + delay : null,
            book.Of(plan.Name, RunKind.Backup).LastSuccess?.StartedAt,
            watchedSince,
            now,
            Health.Freshness.DefaultGrace,
            plan.Backup.MaxAge);
    }

    /// <summary>The view of every plan of <paramref name="file"/>; <paramref name="now"/> says what a job does now (serving only).</summary>
    public static PlansView Build(
        PlanFile.PlanFile file,
        PlanBook book,
        IReadOnlyList<AlertState> alerts,
        DateTimeOffset watchedSince,
        DateTimeOffset at,
        Func<string, RunKind, string?>? now)
    {
        ArgumentNullException.ThrowIfNull(file);
        var plans = file.Plans.Select(plan =>
        {
            var jobs = Kinds(plan).Select(kind =>
            {
                var known = book.Of(plan.Name, kind);
                return new JobView(
                    Name(kind), Schedule(plan, kind)?.Schedule.Text, known.LastRun is { } run ? View(run) : null,
                    known.LastSuccess?.EndedAt, NextRun(plan, kind, at), now?.Invoke(plan.Name, kind));
            }).ToArray();
            var firing = alerts.Where(a => a.Plan == plan.Name)
                .Select(a => new AlertView(a.Condition.Name(), a.Status == AlertStatus.Firing ? "firing" : "reminded", a.Since, a.Reminders, a.Detail))
                .ToArray();
            var fresh = Freshness(plan, book, watchedSince, at);
            return new PlanView(plan.Name, plan.Source, plan.Repository, jobs, firing, fresh.Overdue, fresh.Reason);
        }).ToArray();
        return new PlansView(file.Path, at, now is not null, plans);
    }

    /// <summary>A journal run as the API shows it.</summary>
    public static RunView View(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new RunView(run.Id, Name(run.Kind), run.StartedAt, run.EndedAt, Name(run.Result), run.Error, run.Figures, run.Origin);
    }

    /// <summary>The lower-case name of a kind or result (<c>backup</c>, <c>succeeded</c>).</summary>
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();
}
