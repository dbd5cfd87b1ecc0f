using Lifeboat.Agent.PlanFile;
using Lifeboat.Operations;
using Lifeboat.Repository.Check;

namespace Lifeboat.Agent.Jobs;

/// <summary>
/// A plan's check of its repository: structure always; with <c>read_data_subset: N</c> the data of part
/// <c>Round % N + 1</c> of N of the packs, so N rounds read every pack. Damage found is the report's failure.
/// </summary>
internal static class PlanCheck
{
    public static async Task<JobReport> RunAsync(JobContext job, CheckJob check, long round, CancellationToken cancellationToken)
    {
        var name = job.Plan.Repository;
        (int Part, int Of)? subset = check.ReadDataSubset is { } parts ? ((int)(round % parts) + 1, parts) : null;
        var part = subset is (var k, var n) ? $"{k}/{n}" : null;
        job.Status.Phase($"check of repository {name}{(part is null ? "" : $", reading the data of part {part} of the packs")}");
        var progress = job.Status.Every<CheckProgress>(p => $"check of repository {name}: {p.PacksRead}/{p.PacksToRead} packs read");
        var report = await job.WhenUnlockedAsync(
            name, exclusive: false,
            async ct => await new RepositoryCheck(await job.Repositories.OpenAsync(name, ct).ConfigureAwait(false), progress)
                .RunAsync(new CheckOptions { Subset = subset }, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var figures = new Dictionary<string, double>
        {
            [JobFigures.PacksRead] = report.PacksRead,
            [JobFigures.BytesRead] = report.BytesRead,
            [JobFigures.Problems] = report.Problems.Count,
        };
        var read = part is null ? "" : $", part {part} of the data read ({report.PacksRead} pack(s))";
        var summary = $"checked {report.Snapshots} snapshot(s), {report.Packs} pack(s){read}: {(report.Ok ? "no errors" : $"{report.Problems.Count} error(s)")}";
        // the notes (e.g. packs left by an interrupted backup) are harmless: no warnings
        return new JobReport(summary, figures, [], [], report.Ok ? null : Damage(report));
    }

    /// <summary>The problems found, the first few named with the snapshots they affect.</summary>
    private static string Damage(CheckReport report)
    {
        var named = report.Problems.Take(3).Select(p =>
            p.Message + (p.AffectedSnapshots.Count > 0 ? $" (affects snapshot(s) {string.Join(", ", p.AffectedSnapshots)})" : ""));
        var more = report.Problems.Count > 3 ? $"; and {report.Problems.Count - 3} more" : "";
        return $"the check found {report.Problems.Count} problem(s): {string.Join("; ", named)}{more}";
    }
}
