using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;
using Lifeboat.Operations.Drill;
using Lifeboat.Postgres;
using Lifeboat.Repository;

namespace Lifeboat.Agent.Jobs;

/// <summary>
/// A plan's restore drill: the latest snapshot of its source restored on the <c>scratch</c> server and checked (with
/// the <c>checks</c> file), reporting the achieved RTO and RPO; the objectives are the host's to judge. A failed
/// verdict is the report's failure.
/// </summary>
internal static class PlanDrill
{
    public static async Task<JobReport> RunAsync(JobContext job, DrillJob drill, CancellationToken cancellationToken)
    {
        var name = job.Plan.Repository;
        PgConnectionInfo scratch;
        try
        {
            scratch = PgConnectionInfo.Parse(drill.Scratch, job.Options.Environment);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidRequestException($"plan {job.Plan.Name}: its drill's scratch is not a connection: {e.Message}");
        }

        var request = new DrillRequest
        {
            Scratch = scratch,
            Source = job.SourceName,
            Checks = drill.Checks is { } file ? await DrillChecksFile.LoadAsync(file, cancellationToken).ConfigureAwait(false) : null,
            Jobs = job.Source.Jobs ?? DatabaseSelection.DefaultJobs,
        };
        job.Status.Phase($"drill of the latest snapshot of {job.Source.Name} in repository {name} on {scratch.Redact()}");
        var progress = new Steps(job.Status);
        var result = await job.WhenUnlockedAsync(
            name, exclusive: false, ct => new DrillRun(job.Repositories.For(name)).RunAsync(request, progress, ct), cancellationToken).ConfigureAwait(false);
        var report = result.Report;
        var figures = new Dictionary<string, double>();
        foreach (var (objective, figure) in new[] { ("RTO", JobFigures.RtoSeconds), ("RPO", JobFigures.RpoSeconds) })
        {
            if (report.Objectives.FirstOrDefault(o => o.Name == objective) is { } achieved)
            {
                figures[figure] = achieved.AchievedSeconds;
            }
        }

        var snapshot = report.Snapshot?.Id[..8];
        var failed = report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name} ({c.Summary})").ToList();
        var summary = $"drill of snapshot {snapshot} {(result.Passed ? "PASSED" : "FAILED")}, evidence {result.Evidence.ShortId}";
        return new JobReport(
            summary, figures, [], [.. report.Warnings.Select(w => $"{w.Object}: {w.Message}")],
            result.Passed ? null : $"the drill of snapshot {snapshot} failed: {(failed.Count > 0 ? string.Join("; ", failed) : "see its evidence " + result.Evidence.ShortId)}");
    }

    /// <summary>Each step of the drill as a phase; the bytes restored now and then.</summary>
    private sealed class Steps(StatusLine status) : IProgress<DrillProgress>
    {
        private readonly IProgress<DrillProgress> _bytes = status.Every<DrillProgress>(p =>
            $"drill: {p.Step}, {JobContext.Size(p.BytesRead)}{(p.BytesExpected is { } e ? " of " + JobContext.Size(e) : "")}");

        private string? _step;

        public void Report(DrillProgress value)
        {
            if (Interlocked.Exchange(ref _step, value.Step) != value.Step)
            {
                status.Phase($"drill: {value.Step}");
            }
            else
            {
                _bytes.Report(value);
            }
        }
    }
}
