using System.Diagnostics;
using Lifeboat.Repository.Changes;
using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Prune;

/// <summary>
/// Removes data no snapshot references. The caller must hold the exclusive lock (a dry run
/// needs only a shared one). The order of the steps keeps every snapshot restorable at every
/// instant, so the process may die anywhere and a rerun finishes the job:
/// <list type="number">
/// <item>decide (read index, snapshots and trees; nothing changes);</item>
/// <item>write new packs holding the surviving blobs of the packs being repacked;</item>
/// <item>write new index files listing every pack that stays and every new pack;</item>
/// <item>only then delete the old index files;</item>
/// <item>only then delete the packs no index lists any more.</item>
/// </list>
/// Until step 4 the old index files, and every pack they name, are all still there; from step
/// 3 on, the new index alone locates every needed blob in a pack that is not deleted.
/// </summary>
public sealed class Pruner(BackupRepository repository, IProgress<PruneProgress>? progress = null)
{
    private readonly Stopwatch _phaseClock = new();
    private readonly Dictionary<string, TimeSpan> _phaseTimes = [];
    private readonly Lock _removed = new();
    private string _phase = "starting";

    public async Task<PruneReport> RunAsync(PruneOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _phaseClock.Start();
        var decision = await DecideAsync(options, cancellationToken);
        if (options.DryRun)
        {
            EnterPhase("done");
            return Predicted(decision, clock.Elapsed);
        }

        var repacker = new Repacker(repository, decision.Plan);
        var (indexWritten, indexDeleted) = (0, 0);
        if (!decision.Plan.NothingToDo)
        {
            await RepackAsync(repacker, decision.ToRepack, cancellationToken);
            (indexWritten, indexDeleted) = await RewriteIndexAsync(decision.Plan, repacker.Written, options.Lock, cancellationToken);
            await RemovePacksAsync([.. decision.ToDelete, .. decision.ToRepack], cancellationToken);
        }

        EnterPhase("removing temporary files");
        var temporary = repository.Storage is ITemporaryFileCleanup cleanup
            ? await cleanup.CleanupTemporaryFilesAsync(options.TemporaryFileAge, cancellationToken)
            : 0;
        var after = await ListObjectsAsync(cancellationToken);
        EnterPhase("done");
        return decision.Report with
        {
            IndexFilesWritten = indexWritten,
            IndexFilesDeleted = indexDeleted,
            PacksWritten = repacker.Written.Count,
            BlobsCopied = repacker.BlobsCopied,
            BytesCopied = repacker.BytesCopied,
            PacksAfter = after.Keys.Count(n => n.StartsWith("data/", StringComparison.Ordinal)),
            RepositoryBytesAfter = after.Values.Sum(),
            TemporaryFilesRemoved = temporary,
            Seconds = clock.Elapsed.TotalSeconds,
            PhaseSeconds = PhaseSeconds(),
        };
    }

    /// <summary>The first step: reads the objects, index, snapshots and trees and decides; nothing changes.</summary>
    private async Task<Decision> DecideAsync(PruneOptions options, CancellationToken cancellationToken)
    {
        EnterPhase("reading index");
        var before = await ListObjectsAsync(cancellationToken);
        var stored = new Dictionary<BlobId, long>();
        foreach (var (name, size) in before)
        {
            if (name.StartsWith("data/", StringComparison.Ordinal)
                && BlobId.TryParse(name[(name.LastIndexOf('/') + 1)..], out var id) && name == Pack.ObjectName(id))
            {
                stored[id] = size;
            }
        }

        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        EnterPhase("reading snapshots");
        var snapshots = await SnapshotStore.LoadAllOrRefuseAsync(repository, "prune", options.IgnoreSnapshots, cancellationToken);
        EnterPhase("finding used data");
        // a change segment that cannot be read stops prune like a damaged snapshot: what it needs is unknown
        var segments = await ChangeLogStore.LoadAllAsync(repository, null, cancellationToken);
        var used = await BlobUsage.CollectAsync(repository, index, snapshots, segments, cancellationToken);
        var plan = PrunePlan.Create(index, stored, used, options);
        var toRepack = plan.ToRepack.ToList();
        var toDelete = plan.ToDelete.Where(p => p.StoredSize >= 0).ToList();
        var report = new PruneReport
        {
            DryRun = options.DryRun,
            Snapshots = snapshots.Count,
            IndexFilesBefore = plan.IndexFiles.Count,
            PacksBefore = stored.Count,
            UnreferencedPacksDeleted = toDelete.Count(p => !p.Indexed),
            UnusedPacksDeleted = toDelete.Count(p => p.Indexed),
            PacksRepacked = toRepack.Count,
            MissingPacksDropped = plan.MissingPacks,
            UsedBytes = plan.UsedBytes,
            UnusedBytesBefore = plan.UnusedBytes,
            UnusedBytesAfter = plan.UnusedBytesAfter,
            RepositoryBytesBefore = before.Values.Sum(),
            NothingToDo = plan.NothingToDo,
        };
        return new Decision(plan, toRepack, toDelete, report);
    }

    /// <summary>A dry run's report: what the packs and bytes would be after the prune.</summary>
    private PruneReport Predicted(Decision decision, TimeSpan elapsed)
    {
        var (toRepack, toDelete, report) = (decision.ToRepack, decision.ToDelete, decision.Report);
        var freed = toDelete.Sum(p => p.StoredSize) + toRepack.Sum(p => p.StoredSize - p.UsedBytes);
        return report with
        {
            PacksAfter = report.PacksBefore - toDelete.Count - toRepack.Count + (int)Math.Ceiling(toRepack.Sum(p => p.UsedBytes) / (double)repository.Config.PackSize),
            RepositoryBytesAfter = report.RepositoryBytesBefore - freed,
            Seconds = elapsed.TotalSeconds,
            PhaseSeconds = PhaseSeconds(),
        };
    }

    /// <summary>The second step: new packs holding the surviving blobs of the packs being repacked.</summary>
    private async Task RepackAsync(Repacker repacker, List<PrunePack> toRepack, CancellationToken cancellationToken)
    {
        EnterPhase("repacking", toRepack.Count);
        foreach (var pack in toRepack)
        {
            await repacker.RepackAsync(pack, cancellationToken);
            progress?.Report(new PruneProgress(_phase, repacker.PacksRead, toRepack.Count));
        }

        await repacker.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// The third and fourth steps: new index files listing every pack that stays and every new pack, and only
    /// then (the lock still held) the old index files deleted. Returns how many were written and deleted.
    /// </summary>
    private async Task<(int Written, int Deleted)> RewriteIndexAsync(
        PrunePlan plan, IReadOnlyList<IndexedPack> repacked, RepositoryLock? held, CancellationToken cancellationToken)
    {
        EnterPhase("writing the new index");
        var listed = plan.Kept.Select(p => new IndexedPack(p.Id, p.Entries)).Concat(repacked).ToList();
        var written = new HashSet<BlobId>();
        for (var i = 0; i < listed.Count; i += IndexFile.MaxPacks)
        {
            var part = listed.GetRange(i, Math.Min(IndexFile.MaxPacks, listed.Count - i));
            written.Add(await repository.WriteHashedObjectAsync("index/", IndexFile.Encode(part, repository.Key), cancellationToken));
        }

        held?.ThrowIfLost();
        EnterPhase("removing the old index");
        var deleted = 0;
        foreach (var old in plan.IndexFiles.Where(f => !written.Contains(f)))
        {
            await repository.Storage.DeleteAsync(IndexFile.ObjectName(old), cancellationToken);
            deleted++;
        }

        return (written.Count, deleted);
    }

    /// <summary>The last step: deletes the packs no index lists any more.</summary>
    private async Task RemovePacksAsync(List<PrunePack> packs, CancellationToken cancellationToken)
    {
        EnterPhase("removing packs", packs.Count);
        var deleted = 0;
        await Parallel.ForEachAsync(
            packs,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (pack, ct) =>
            {
                await repository.Storage.DeleteAsync(Pack.ObjectName(pack.Id), ct);
                lock (_removed)
                {
                    // under the lock, so the counts reported never go backwards
                    progress?.Report(new PruneProgress(_phase, ++deleted, packs.Count));
                }
            });
    }

    private Dictionary<string, double> PhaseSeconds() =>
        _phaseTimes.Where(p => p.Key != "starting").ToDictionary(p => p.Key, p => Math.Round(p.Value.TotalSeconds, 3));

    /// <summary>Ends the phase running (its time is added up) and reports the next, with its count of packs if it has one.</summary>
    private void EnterPhase(string phase, int packs = 0)
    {
        _phaseTimes[_phase] = _phaseTimes.GetValueOrDefault(_phase) + _phaseClock.Elapsed;
        _phaseClock.Restart();
        _phase = phase;
        progress?.Report(new PruneProgress(phase, 0, packs));
    }

    private async Task<Dictionary<string, long>> ListObjectsAsync(CancellationToken cancellationToken)
    {
        var objects = new Dictionary<string, long>();
        await foreach (var info in repository.Storage.ListAsync("", cancellationToken))
        {
            objects[info.Name] = info.Size;
        }

        return objects;
    }

    /// <summary>What the first step decided: the plan, the packs to repack and to delete, and the report so far.</summary>
    private sealed record Decision(PrunePlan Plan, List<PrunePack> ToRepack, List<PrunePack> ToDelete, PruneReport Report);
}
