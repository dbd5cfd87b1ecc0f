using Lifeboat.Agent.Http;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;
using Lifeboat.Agent.PlanFile;

namespace Lifeboat.Agent.Host;

/// <summary>
/// <c>lifeboat plans</c> and <c>lifeboat run</c> when no agent serves the plan file: the view read from the journal alone,
/// and a run in the foreground, journaled like the agent's (so the agent, started later, knows it) but sending no alert:
/// the person who ran it sees its result.
/// </summary>
internal static class Standalone
{
    /// <summary>Every plan with its last runs and alerts as the journal has them (nothing is running: no agent serves).</summary>
    public static async Task<PlansView> PlansAsync(PlanFile.PlanFile file, string journalPath, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(time);
        var book = new PlanBook();
        var now = time.GetUtcNow();
        await using var journal = await RunJournal.OpenReadOnlyAsync(journalPath, time, cancellationToken).ConfigureAwait(false);
        if (journal is null)
        {
            return PlansReport.Build(file, book, [], now, now, null);
        }

        foreach (var plan in file.Plans)
        {
            foreach (var kind in PlansReport.Kinds(plan))
            {
                book.Seed(plan.Name, kind, await journal.RecentRunsAsync(plan.Name, kind, 10, cancellationToken).ConfigureAwait(false), plan.Repository);
            }
        }

        var alerts = await journal.LoadAlertsAsync(cancellationToken).ConfigureAwait(false);
        return PlansReport.Build(file, book, alerts, now, now, null);
    }

    /// <summary>
    /// Backs up <paramref name="planName"/> now in this process, through <paramref name="jobs"/>, journaled in
    /// <paramref name="journalPath"/>; log lines go to <paramref name="log"/>. The job's exception, when it failed, is in
    /// the answer's <see cref="ForegroundRun.Error"/> (for the exit code).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No plan of that name.</exception>
    public static async Task<ForegroundRun> RunAsync(
        PlanFile.PlanFile file, string planName, RunRequest request, IPlanJobs jobs, string journalPath, TextWriter log, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(request);
        var plan = file.Plans.FirstOrDefault(p => p.Name == planName)
            ?? throw new KeyNotFoundException($"no plan '{planName}' in {file.Path}: the plans are {string.Join(", ", file.Plans.Select(p => p.Name))}");
        await using var journal = await RunJournal.OpenAsync(journalPath, time, cancellationToken).ConfigureAwait(false);
        var executor = new RunExecutor(jobs, journal, new PlanBook(), null, new TextAgentLog(log, time, json: false), time);
        var options = new RunOptions(request.Tags ?? [], request.HoldUntil, 0) { HoldReason = request.Reason };
        var end = await executor.RunAsync(file, plan, RunKind.Backup, options, cancellationToken).ConfigureAwait(false);
        var answer = new RunAnswer(plan.Name, PlansReport.Name(end.Record.Result), "foreground", PlansReport.View(end.Record), end.Report?.Summary, end.Report?.Warnings ?? []);
        return new ForegroundRun(answer, end.Error);
    }
}

/// <summary>A run made in the foreground: the answer, and what the job threw when it failed (null otherwise).</summary>
internal sealed record ForegroundRun(RunAnswer Answer, Exception? Error);
