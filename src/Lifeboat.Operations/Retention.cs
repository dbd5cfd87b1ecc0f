using Lifeboat.Repository;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Prune;
using Lifeboat.Repository.Retention;
using Lifeboat.Repository.Stats;

namespace Lifeboat.Operations;

/// <summary>The outcome of <c>forget</c>: the plan, whether it was applied, and the prune that followed.</summary>
public sealed record ForgetResult(ForgetPlan Plan, bool DryRun, int Removed, PruneReport? Prune);

/// <summary>
/// <c>forget</c>: applies a retention policy by deleting snapshot objects (data goes only with
/// prune). Takes the exclusive lock, like prune: a hold written, or a snapshot read by check,
/// while forget decides could otherwise be missed or vanish half-read. A dry run takes a shared
/// lock and changes nothing.
/// </summary>
public sealed class ForgetOperation(Repository.Repository repository)
{
    /// <summary>Set when a prune runs after forget; poll it for progress.</summary>
    public Pruner? Pruner { get; private set; }

    public Task<ForgetResult> RunAsync(ForgetOptions options, bool dryRun, PruneOptions? prune, CancellationToken cancellationToken) =>
        dryRun
            ? RunCoreAsync(options, dryRun, prune, cancellationToken)
            : Audit.OperationAudit.RunAsync(
                repository,
                "forget",
                ct => RunCoreAsync(options, dryRun, prune, ct),
                (result, _) => Task.FromResult(new Audit.AuditFacts
                {
                    Snapshots = [.. result.Plan.RemovedIds.Select(id => id.ToString())],
                    Bytes = result.Prune?.BytesFreed,
                    Details = new Dictionary<string, string>
                    {
                        ["removed"] = result.Removed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["kept"] = result.Plan.Groups.Sum(g => g.Decisions.Count(d => d.Keep)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["pruned"] = (result.Prune is not null).ToString(),
                    },
                }),
                cancellationToken);

    private async Task<ForgetResult> RunCoreAsync(ForgetOptions options, bool dryRun, PruneOptions? prune, CancellationToken cancellationToken)
    {
        options.Policy.Validate();
        await using var held = await Locks.AcquireAsync(repository, exclusive: !dryRun, "forget", cancellationToken);
        var now = repository.Context.Time.GetUtcNow();
        var snapshots = await SnapshotStore.LoadAllAsync(repository, null, cancellationToken);
        var holds = HoldStore.ActiveBySnapshot(await HoldStore.LoadAllAsync(repository, cancellationToken), now);
        var plan = RetentionPlanner.Plan(snapshots, options, holds, now);
        if (plan.GuardViolations.Count > 0)
        {
            throw RetentionGuardException.For(plan);
        }

        var removed = 0;
        if (!dryRun)
        {
            held.ThrowIfLost();
            foreach (var record in plan.ToRemove)
            {
                await repository.Storage.DeleteAsync(SnapshotStore.Prefix + record.Id, cancellationToken);
                removed++;
            }
        }

        PruneReport? pruneReport = null;
        if (prune is not null)
        {
            Pruner = new Pruner(repository);
            pruneReport = await Pruner.RunAsync(
                prune with { DryRun = dryRun, Lock = held, IgnoreSnapshots = dryRun ? plan.RemovedIds.ToHashSet() : new HashSet<BlobId>() },
                cancellationToken);
        }

        return new ForgetResult(plan, dryRun, dryRun ? plan.ToRemove.Count() : removed, pruneReport);
    }
}

/// <summary><c>prune</c> under the exclusive lock (a dry run: shared).</summary>
public sealed class PruneOperation(Repository.Repository repository)
{
    public Pruner Pruner { get; } = new(repository);

    public Task<PruneReport> RunAsync(PruneOptions options, CancellationToken cancellationToken) =>
        options.DryRun
            ? RunCoreAsync(options, cancellationToken)
            : Audit.OperationAudit.RunAsync(
                repository,
                "prune",
                ct => RunCoreAsync(options, ct),
                (report, _) => Task.FromResult(new Audit.AuditFacts
                {
                    Bytes = report.BytesFreed,
                    Details = new Dictionary<string, string>
                    {
                        ["bytesBefore"] = report.RepositoryBytesBefore.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["bytesAfter"] = report.RepositoryBytesAfter.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["packsRepacked"] = report.PacksRepacked.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    },
                }),
                cancellationToken);

    private async Task<PruneReport> RunCoreAsync(PruneOptions options, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: !options.DryRun, "prune", cancellationToken);
        return await Pruner.RunAsync(options with { Lock = held }, cancellationToken);
    }
}

/// <summary><c>hold</c>, <c>unhold</c>, <c>holds</c> and <c>stats</c>, each under a shared lock.</summary>
public sealed class RetentionQueries(Repository.Repository repository)
{
    public async Task<(SnapshotRecord Snapshot, BlobId Hold)> HoldAsync(
        string snapshotReference, DateTimeOffset? until, string reason, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "hold", cancellationToken);
        var record = await SnapshotStore.FindAsync(repository, snapshotReference, cancellationToken);
        var id = await HoldStore.HoldAsync(repository, record.Id, until, reason, cancellationToken);
        return (record, id);
    }

    public async Task<(SnapshotRecord Snapshot, List<HoldEntry> Released)> UnholdAsync(
        string snapshotReference, string reason, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "unhold", cancellationToken);
        var record = await SnapshotStore.FindAsync(repository, snapshotReference, cancellationToken);
        return (record, await HoldStore.ReleaseAsync(repository, record.Id, reason, cancellationToken));
    }

    public async Task<List<HoldEntry>> ListHoldsAsync(CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "holds", cancellationToken);
        return await HoldStore.LoadAllAsync(repository, cancellationToken);
    }

    public async Task<RepositoryStatsReport> StatsAsync(CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "stats", cancellationToken);
        return await RepositoryStatistics.ComputeAsync(repository, cancellationToken);
    }
}
