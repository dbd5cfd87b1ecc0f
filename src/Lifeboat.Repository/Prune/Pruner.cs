using System.Diagnostics;
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
public sealed class Pruner(BackupRepository repository)
{
    private readonly Stopwatch _phaseClock = new();
    private readonly Dictionary<string, TimeSpan> _phaseTimes = [];
    private Repacker? _repacker;
    private int _packsDeleted;

    /// <summary>What prune is doing, for progress displays.</summary>
    public string Phase { get; private set; } = "starting";

    /// <summary>Time spent in each phase so far (for benchmarks and diagnostics).</summary>
    public IReadOnlyDictionary<string, TimeSpan> PhaseTimes => _phaseTimes;

    public int PacksToRepack { get; private set; }

    public int PacksRepacked => _repacker?.PacksRead ?? 0;

    public int PacksToDelete { get; private set; }

    public int PacksDeleted => Volatile.Read(ref _packsDeleted);

    public async Task<PruneReport> RunAsync(PruneOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _phaseClock.Start();
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
        var used = await BlobUsage.CollectAsync(repository, index, snapshots, cancellationToken);
        var plan = PrunePlan.Create(index, stored, used, options);
        var repositoryBefore = before.Values.Sum();
        var toRepack = plan.ToRepack.ToList();
        var toDelete = plan.ToDelete.Where(p => p.StoredSize >= 0).ToList();
        PacksToRepack = toRepack.Count;
        PacksToDelete = toDelete.Count + toRepack.Count;
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
            RepositoryBytesBefore = repositoryBefore,
            NothingToDo = plan.NothingToDo,
        };

        if (options.DryRun)
        {
            EnterPhase("done");
            var freed = toDelete.Sum(p => p.StoredSize) + toRepack.Sum(p => p.StoredSize - p.UsedBytes);
            return report with
            {
                PacksAfter = stored.Count - toDelete.Count - toRepack.Count + (int)Math.Ceiling(toRepack.Sum(p => p.UsedBytes) / (double)repository.Config.PackSize),
                RepositoryBytesAfter = repositoryBefore - freed,
                Seconds = clock.Elapsed.TotalSeconds,
                PhaseSeconds = PhaseSeconds(),
            };
        }

        var indexWritten = 0;
        var indexDeleted = 0;
        if (!plan.NothingToDo)
        {
            EnterPhase("repacking");
            _repacker = new Repacker(repository, plan);
            foreach (var pack in toRepack)
            {
                await _repacker.RepackAsync(pack, cancellationToken);
            }

            await _repacker.FlushAsync(cancellationToken);

            EnterPhase("writing the new index");
            var listed = plan.Kept.Select(p => new IndexedPack(p.Id, p.Entries)).Concat(_repacker.Written).ToList();
            var written = new HashSet<BlobId>();
            for (var i = 0; i < listed.Count; i += IndexFile.MaxPacks)
            {
                var part = listed.GetRange(i, Math.Min(IndexFile.MaxPacks, listed.Count - i));
                written.Add(await repository.WriteHashedObjectAsync("index/", IndexFile.Encode(part, repository.Key), cancellationToken));
            }

            indexWritten = written.Count;
            options.Lock?.ThrowIfLost();
            EnterPhase("removing the old index");
            foreach (var old in plan.IndexFiles.Where(f => !written.Contains(f)))
            {
                await repository.Storage.DeleteAsync(IndexFile.ObjectName(old), cancellationToken);
                indexDeleted++;
            }

            EnterPhase("removing packs");
            await Parallel.ForEachAsync(
                toDelete.Concat(toRepack),
                new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (pack, ct) =>
                {
                    await repository.Storage.DeleteAsync(Pack.ObjectName(pack.Id), ct);
                    Interlocked.Increment(ref _packsDeleted);
                });
        }

        EnterPhase("removing temporary files");
        var temporary = repository.Storage is ITemporaryFileCleanup cleanup
            ? await cleanup.CleanupTemporaryFilesAsync(options.TemporaryFileAge, cancellationToken)
            : 0;
        var after = await ListObjectsAsync(cancellationToken);
        EnterPhase("done");
        return report with
        {
            IndexFilesWritten = indexWritten,
            IndexFilesDeleted = indexDeleted,
            PacksWritten = _repacker?.Written.Count ?? 0,
            BlobsCopied = _repacker?.BlobsCopied ?? 0,
            BytesCopied = _repacker?.BytesCopied ?? 0,
            PacksAfter = after.Keys.Count(n => n.StartsWith("data/", StringComparison.Ordinal)),
            RepositoryBytesAfter = after.Values.Sum(),
            TemporaryFilesRemoved = temporary,
            Seconds = clock.Elapsed.TotalSeconds,
            PhaseSeconds = PhaseSeconds(),
        };
    }

    private Dictionary<string, double> PhaseSeconds() =>
        _phaseTimes.Where(p => p.Key != "starting").ToDictionary(p => p.Key, p => Math.Round(p.Value.TotalSeconds, 3));

    private void EnterPhase(string phase)
    {
        _phaseTimes[Phase] = _phaseTimes.GetValueOrDefault(Phase) + _phaseClock.Elapsed;
        _phaseClock.Restart();
        Phase = phase;
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
}
