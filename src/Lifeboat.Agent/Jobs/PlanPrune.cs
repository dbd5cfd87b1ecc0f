using Lifeboat.Operations;
using Lifeboat.Repository.Prune;

namespace Lifeboat.Agent.Jobs;

/// <summary>A plan's prune of its repository (<c>lifeboat prune</c>'s defaults), under the exclusive lock.</summary>
internal static class PlanPrune
{
    public static async Task<JobReport> RunAsync(JobContext job, CancellationToken cancellationToken)
    {
        var name = job.Plan.Repository;
        job.Status.Phase($"prune of repository {name}");
        var progress = job.Status.Every<PruneProgress>(p => $"prune of repository {name}: {p.Phase}");
        var report = await job.WhenUnlockedAsync(
            name, exclusive: true,
            async ct => await new PruneOperation(await job.Repositories.OpenAsync(name, ct).ConfigureAwait(false), progress)
                .RunAsync(new PruneOptions(), ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var figures = new Dictionary<string, double>
        {
            [JobFigures.RemovedBytes] = report.BytesFreed,
            [JobFigures.StoredBytes] = report.RepositoryBytesAfter,
        };
        return new JobReport(
            $"pruned repository {name}: {JobContext.Size(report.BytesFreed)} freed, {JobContext.Size(report.RepositoryBytesAfter)} stored", figures, [], []);
    }
}
