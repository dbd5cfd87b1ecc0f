using Lifeboat.Repository.Format;
using Lifeboat.Repository.Prune;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Repository.Stats;

/// <summary>One snapshot's share of the repository.</summary>
public sealed record SnapshotUsage(string Id, DateTimeOffset Time, string Source, long Size, long UniqueBytes, int Blobs);

/// <summary>Space figures of a repository.</summary>
public sealed record RepositoryStatsReport
{
    public int Snapshots { get; init; }

    /// <summary>Every object in the repository (packs, index, snapshots, keys, ...).</summary>
    public long TotalStoredBytes { get; init; }

    public long PackBytes { get; init; }

    public int Packs { get; init; }

    public int IndexFiles { get; init; }

    /// <summary>Sum of every snapshot's stream sizes: what the data would take without dedup and compression.</summary>
    public long SizeBeforeDedup { get; init; }

    /// <summary>Stored bytes of the blobs snapshots use (after dedup, compression and encryption).</summary>
    public long UsedBytes { get; init; }

    /// <summary><see cref="SizeBeforeDedup"/> divided by <see cref="UsedBytes"/>: how much dedup and compression save.</summary>
    public double Ratio => UsedBytes > 0 ? SizeBeforeDedup / (double)UsedBytes : 0;

    /// <summary>Stored bytes of indexed blobs no snapshot uses (garbage prune would reclaim).</summary>
    public long UnusedBlobBytes { get; init; }

    /// <summary>Packs in no index (interrupted backups or prunes), garbage prune removes.</summary>
    public int UnreferencedPacks { get; init; }

    public long UnreferencedPackBytes { get; init; }

    public long GarbageBytes => UnusedBlobBytes + UnreferencedPackBytes;

    /// <summary>Per snapshot, oldest first: the stored bytes of blobs no other snapshot uses.</summary>
    public IReadOnlyList<SnapshotUsage> PerSnapshot { get; init; } = [];

    /// <summary>
    /// Snapshots that cannot be read, so are in none of the figures: what they use is unknown, so the
    /// blobs only they use count as unused (garbage) and as unique to the readable snapshot sharing them.
    /// </summary>
    public IReadOnlyList<DamagedSnapshot> Damaged { get; init; } = [];
}

/// <summary>
/// Computes <see cref="RepositoryStatsReport"/>. Reads the index, the snapshots and each
/// snapshot's trees (one snapshot at a time, so memory is one count per blob, not per snapshot).
/// A snapshot that cannot be read is left out of the figures and named in <see cref="RepositoryStatsReport.Damaged"/>.
/// </summary>
public static class RepositoryStatistics
{
    public static async Task<RepositoryStatsReport> ComputeAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var objects = new List<Storage.ObjectInfo>();
        await foreach (var info in repository.Storage.ListAsync("", cancellationToken))
        {
            objects.Add(info);
        }

        var stored = new Dictionary<BlobId, long>();
        foreach (var info in objects.Where(o => o.Name.StartsWith("data/", StringComparison.Ordinal)))
        {
            if (BlobId.TryParse(info.Name[(info.Name.LastIndexOf('/') + 1)..], out var id) && info.Name == Pack.ObjectName(id))
            {
                stored[id] = info.Size;
            }
        }

        var index = await MasterIndex.LoadAsync(repository, cancellationToken);
        var (snapshots, damaged) = await SnapshotStore.LoadReadableAsync(repository, cancellationToken);
        var reader = new BlobReader(repository, index);

        // Per blob: how many snapshots use it, and the last one that did.
        var users = new Dictionary<BlobId, (int Count, int Last)>();
        var blobCounts = new int[snapshots.Count];
        for (var s = 0; s < snapshots.Count; s++)
        {
            var blobs = await BlobsOfAsync(reader, snapshots[s], cancellationToken);
            blobCounts[s] = blobs.Count;
            foreach (var blob in blobs)
            {
                users[blob] = users.TryGetValue(blob, out var u) ? (u.Count + 1, s) : (1, s);
            }
        }

        var unique = new long[snapshots.Count];
        foreach (var (blob, u) in users)
        {
            if (u.Count == 1 && index.TryGet(blob, out var location))
            {
                unique[u.Last] += location.Entry.Length;
            }
        }

        var plan = PrunePlan.Create(index, stored, [.. users.Keys], new PruneOptions { MaxUnused = null });
        return new RepositoryStatsReport
        {
            Snapshots = snapshots.Count,
            TotalStoredBytes = objects.Sum(o => o.Size),
            PackBytes = stored.Values.Sum(),
            Packs = stored.Count,
            IndexFiles = index.IndexFiles.Count,
            SizeBeforeDedup = snapshots.Sum(s => s.Snapshot.TotalSize),
            UsedBytes = plan.UsedBytes,
            UnusedBlobBytes = plan.Packs.Where(p => p.Indexed).Sum(p => p.UnusedBytes),
            UnreferencedPacks = plan.Packs.Count(p => !p.Indexed),
            UnreferencedPackBytes = plan.Packs.Where(p => !p.Indexed).Sum(p => p.StoredSize),
            PerSnapshot = [.. snapshots.Select((r, i) => new SnapshotUsage(r.Id.ToString(), r.Snapshot.Time, r.Snapshot.Source, r.Snapshot.TotalSize, unique[i], blobCounts[i]))],
            Damaged = DamagedSnapshot.From(damaged),
        };
    }

    private static async Task<HashSet<BlobId>> BlobsOfAsync(BlobReader reader, SnapshotRecord record, CancellationToken cancellationToken)
    {
        var blobs = new HashSet<BlobId>();
        foreach (var stream in record.Snapshot.Streams)
        {
            foreach (var tree in stream.Trees)
            {
                var treeId = BlobId.Parse(tree);
                if (blobs.Add(treeId))
                {
                    blobs.UnionWith(TreeBlob.Decode(await reader.ReadAsync(treeId, cancellationToken), $"tree blob {treeId.Short}").Select(c => c.Id));
                }
            }
        }

        return blobs;
    }
}
