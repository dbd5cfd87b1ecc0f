using Lifeboat.Agent.Alerts;
using Lifeboat.Agent.Jobs;
using Lifeboat.Agent.Journal;

namespace Lifeboat.Agent.Host;

/// <summary>
/// What a lost journal can get back from the repositories, which are the truth: when the agent starts on a journal
/// holding no run (deleted, moved, a new machine, or a first start beside backups made by cron), each plan's backups
/// are journaled again from its source's snapshots in its repository (start, duration, size read and added, each
/// marked with the snapshot it came from), and the backup schedule's slot is taken as run up to the newest snapshot.
/// So freshness, <c>/metrics</c>, the anomaly history and the missed-run policy go on from the backups that exist,
/// instead of the agent alerting "never succeeded" or re-running a slot the repository already covers. Checks, drills
/// and prunes are not rebuilt (their evidence stays in the repository; the next run journals them). A repository that
/// cannot be read is said and skipped: the plan then starts as new, which is what the journal alone would have done.
/// </summary>
internal static class JournalRebuild
{
    /// <summary>Rebuilds every plan of <paramref name="file"/> when <paramref name="journal"/> is empty; returns the runs journaled.</summary>
    public static async Task<int> RunAsync(PlanFile.PlanFile file, RunJournal journal, IPlanJobs jobs, IAgentLog log, CancellationToken cancellationToken)
    {
        if (!await journal.IsEmptyAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var total = 0;
        foreach (var plan in file.Plans)
        {
            IReadOnlyList<PastBackup> history;
            try
            {
                history = await jobs.HistoryAsync(file, plan, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.Write(LogLevel.Warning, $"{plan.Name}/backup",
                    $"the journal is new, and repository {plan.Repository} could not be read to rebuild the plan's history ({e.Message}): the plan starts as new");
                continue;
            }

            if (history.Count == 0)
            {
                continue;
            }

            var runs = history.Select(b => new RunRecord(
                0, plan.Name, RunKind.Backup, b.Time, b.Time + TimeSpan.FromSeconds(Math.Max(0, b.Seconds)), RunResult.Succeeded,
                new Dictionary<string, double>
                {
                    [Figures.SizeBytes] = b.SizeBytes,
                    [Figures.AddedBytes] = b.AddedBytes,
                    [Figures.DurationSeconds] = Math.Max(0, b.Seconds),
                },
                null, $"snapshot {b.ShortId} in repository {plan.Repository}")).ToArray();
            await journal.ImportRunsAsync(runs, cancellationToken).ConfigureAwait(false);
            await journal.RecordAsync($"{plan.Name}/backup", history[^1].Time, cancellationToken).ConfigureAwait(false);
            total += runs.Length;
            log.Write(LogLevel.Info, $"{plan.Name}/backup",
                $"the journal is new: {Count(runs.Length)} rebuilt from repository {plan.Repository}, the newest snapshot {history[^1].ShortId} of {UtcTime.Format(history[^1].Time)}");
        }

        return total;
    }

    private static string Count(int n) => n == 1 ? "1 backup" : $"{n} backups";
}
