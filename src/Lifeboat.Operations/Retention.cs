using Lifeboat.Repository;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Prune;
using Lifeboat.Repository.Retention;
using Lifeboat.Repository.Stats;

namespace Lifeboat.Operations;

/// <summary>The outcome of <c>forget</c>: the plan, whether it was applied, and the prune that followed.</summary>
public sealed record ForgetResult(ForgetPlan Plan, bool DryRun, int Removed, PruneReport? Prune);

/// <summary>A snapshot named to <c>forget ID...</c>: its id, and its content or why it cannot be read.</summary>
public sealed record NamedSnapshot(BlobId Id, SnapshotRecord? Record, string? Damage);

/// <summary>The outcome of <c>forget ID...</c>: the snapshots named, whether they were removed, and the prune that followed.</summary>
public sealed record NamedForgetResult(IReadOnlyList<NamedSnapshot> Snapshots, bool DryRun, int Removed, PruneReport? Prune);

/// <summary>
/// <c>forget</c>: deletes snapshot objects (data goes only with prune), chosen by a retention
/// policy or named by id. Takes the exclusive lock, like prune: a hold written, or a snapshot read
/// by check, while forget decides could otherwise be missed or vanish half-read. A dry run takes a
/// shared lock and changes nothing. Both are audited (a dry run is not). A prune that follows reports
/// its progress to <paramref name="pruneProgress"/>.
/// </summary>
public sealed class ForgetOperation(BackupRepository repository, IProgress<PruneProgress>? pruneProgress = null)
{
    /// <summary>Applies a retention policy.</summary>
    public Task<ForgetResult> RunAsync(ForgetOptions options, bool dryRun, PruneOptions? prune, CancellationToken cancellationToken) =>
        AuditedAsync(
            dryRun,
            ct => RunPolicyAsync(options, dryRun, prune, ct),
            result => Facts(result.Plan.RemovedIds, result.Prune, new()
            {
                ["removed"] = Number(result.Removed),
                ["kept"] = Number(result.Plan.Groups.Sum(g => g.Kept)),
            }),
            cancellationToken);

    /// <summary>
    /// Removes the snapshots named by id or unique prefix. The names are resolved against the object
    /// names alone, so a snapshot whose object is damaged or cannot be decrypted can be removed too
    /// (it cannot be restored, and while it exists prune and policy forget refuse to run). A snapshot
    /// with an active hold refuses the whole request (<see cref="SnapshotHeldException"/>): nothing is removed.
    /// </summary>
    public Task<NamedForgetResult> RunNamedAsync(IReadOnlyList<string> references, bool dryRun, PruneOptions? prune, CancellationToken cancellationToken) =>
        AuditedAsync(
            dryRun,
            ct => RunNamedCoreAsync(references, dryRun, prune, ct),
            result => Facts([.. result.Snapshots.Select(s => s.Id)], result.Prune, new()
            {
                ["removed"] = Number(result.Removed),
                ["named"] = Number(result.Snapshots.Count),
                ["damaged"] = Number(result.Snapshots.Count(s => s.Damage is not null)),
            }),
            cancellationToken);

    private async Task<ForgetResult> RunPolicyAsync(ForgetOptions options, bool dryRun, PruneOptions? prune, CancellationToken cancellationToken)
    {
        options.Policy.Validate();
        await using var held = await Locks.AcquireAsync(repository, exclusive: !dryRun, "forget", cancellationToken);
        var now = repository.Context.Time.GetUtcNow();
        var snapshots = await SnapshotStore.LoadAllOrRefuseAsync(repository, "forget", new HashSet<BlobId>(), cancellationToken);
        var holds = HoldStore.ActiveBySnapshot(await HoldStore.LoadAllAsync(repository, cancellationToken), now);
        var plan = RetentionPlanner.Plan(snapshots, options, holds, now);
        if (plan.GuardViolations.Count > 0)
        {
            throw RetentionGuardException.For(plan);
        }

        var (removed, pruneReport) = await RemoveAsync(held, plan.RemovedIds, dryRun, prune, cancellationToken);
        return new ForgetResult(plan, dryRun, removed, pruneReport);
    }

    private async Task<NamedForgetResult> RunNamedCoreAsync(IReadOnlyList<string> references, bool dryRun, PruneOptions? prune, CancellationToken cancellationToken)
    {
        if (references.Count == 0)
        {
            throw new InvalidRequestException("name at least one snapshot to forget, or give a retention policy");
        }

        await using var held = await Locks.AcquireAsync(repository, exclusive: !dryRun, "forget", cancellationToken);
        var ids = await SnapshotStore.ResolveIdsAsync(repository, references, cancellationToken);
        var holds = HoldStore.ActiveBySnapshot(await HoldStore.LoadAllAsync(repository, cancellationToken), repository.Context.Time.GetUtcNow());
        var refusing = ids.Where(holds.ContainsKey).SelectMany(id => holds[id]).ToList();
        if (refusing.Count > 0)
        {
            throw SnapshotHeldException.For(refusing);
        }

        var snapshots = new List<NamedSnapshot>(ids.Count);
        foreach (var id in ids)
        {
            try
            {
                snapshots.Add(new NamedSnapshot(id, await SnapshotStore.LoadAsync(repository, id, cancellationToken), null));
            }
            catch (IntegrityException e)
            {
                snapshots.Add(new NamedSnapshot(id, null, e.Message));
            }
        }

        var (removed, pruneReport) = await RemoveAsync(held, ids.ToHashSet(), dryRun, prune, cancellationToken);
        return new NamedForgetResult(snapshots, dryRun, removed, pruneReport);
    }

    /// <summary>Deletes the snapshot objects (unless a dry run), then prunes if asked; returns how many went (or would go).</summary>
    private async Task<(int Removed, PruneReport? Prune)> RemoveAsync(
        RepositoryLock held, ISet<BlobId> ids, bool dryRun, PruneOptions? prune, CancellationToken cancellationToken)
    {
        if (!dryRun)
        {
            held.ThrowIfLost();
            foreach (var id in ids)
            {
                await SnapshotStore.RemoveAsync(repository, id, cancellationToken);
            }
        }

        PruneReport? pruneReport = null;
        if (prune is not null)
        {
            pruneReport = await new Pruner(repository, pruneProgress).RunAsync(
                prune with { DryRun = dryRun, Lock = held, IgnoreSnapshots = dryRun ? ids.ToHashSet() : new HashSet<BlobId>() },
                cancellationToken);
        }

        return (ids.Count, pruneReport);
    }

    private Task<T> AuditedAsync<T>(bool dryRun, Func<CancellationToken, Task<T>> run, Func<T, Audit.AuditFacts> facts, CancellationToken cancellationToken) =>
        dryRun ? run(cancellationToken) : Audit.OperationAudit.RunAsync(repository, "forget", run, (result, _) => Task.FromResult(facts(result)), cancellationToken);

    private static Audit.AuditFacts Facts(IEnumerable<BlobId> removed, PruneReport? prune, Dictionary<string, string> details)
    {
        details["pruned"] = (prune is not null).ToString();
        return new Audit.AuditFacts { Snapshots = [.. removed.Select(id => id.ToString())], Bytes = prune?.BytesFreed, Details = details };
    }

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary><c>prune</c> under the exclusive lock (a dry run: shared), reporting its progress to <paramref name="progress"/>.</summary>
public sealed class PruneOperation(BackupRepository repository, IProgress<PruneProgress>? progress = null)
{
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
        return await new Pruner(repository, progress).RunAsync(options with { Lock = held }, cancellationToken);
    }
}

/// <summary><c>hold</c>, <c>unhold</c>, <c>holds</c> and <c>stats</c>, each under a shared lock.</summary>
public sealed class RetentionQueries(BackupRepository repository)
{
    public async Task<(SnapshotRecord Snapshot, BlobId Hold)> HoldAsync(
        string snapshotReference, DateTimeOffset? until, string reason, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "hold", cancellationToken);
        var record = await SnapshotStore.FindAsync(repository, snapshotReference, cancellationToken);
        var id = await HoldStore.HoldAsync(repository, record.Id, until, reason, cancellationToken);
        return (record, id);
    }

    /// <summary>Releases the holds of a snapshot; found by name, so a held snapshot that is damaged can be released (and then forgotten).</summary>
    public async Task<(BlobId Snapshot, List<HoldEntry> Released)> UnholdAsync(
        string snapshotReference, string reason, CancellationToken cancellationToken)
    {
        await using var held = await Locks.AcquireAsync(repository, exclusive: false, "unhold", cancellationToken);
        var id = await SnapshotStore.FindIdAsync(repository, snapshotReference, cancellationToken);
        return (id, await HoldStore.ReleaseAsync(repository, id, reason, cancellationToken));
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
