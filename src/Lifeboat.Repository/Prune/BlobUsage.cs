using Lifeboat.Repository.Changes;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Repository.Prune;

/// <summary>
/// The blobs snapshots and change segments reference: their tree blobs and the chunks those list. Each distinct
/// tree is read once (unchanged streams share trees). Memory: one set of blob ids.
/// </summary>
internal static class BlobUsage
{
    /// <summary>
    /// Every blob the snapshots and change segments need. Throws <see cref="IntegrityException"/> when one is in no
    /// index: a repository missing data must be repaired before anything is removed.
    /// </summary>
    public static async Task<HashSet<BlobId>> CollectAsync(
        BackupRepository repository, MasterIndex index, IReadOnlyList<SnapshotRecord> snapshots, IReadOnlyList<ChangeSegmentRecord> segments,
        CancellationToken cancellationToken)
    {
        var used = new HashSet<BlobId>();
        var trees = new Dictionary<BlobId, string>();
        var owners = snapshots.Select(r => ($"snapshot {r.ShortId}", r.Snapshot.Streams))
            .Concat(segments.Select(r => ($"change segment {r.Id.Short}", (IReadOnlyList<SnapshotStream>)[r.Segment.Stream])));
        foreach (var (owner, streams) in owners)
        {
            foreach (var tree in streams.SelectMany(s => s.Trees))
            {
                var id = BlobId.Parse(tree);
                trees.TryAdd(id, owner);
                used.Add(id);
            }
        }

        var reader = new BlobReader(repository, index);
        await Parallel.ForEachAsync(
            trees,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (tree, ct) =>
            {
                List<ChunkRef> chunks;
                try
                {
                    chunks = TreeBlob.Decode(await reader.ReadAsync(tree.Key, ct), $"tree blob {tree.Key.Short}");
                }
                catch (IntegrityException e)
                {
                    throw new IntegrityException(
                        $"{tree.Value} cannot be read ({e.Message}): run 'lifeboat check'; nothing was removed", e);
                }

                // Merged at once, so memory holds one set of ids, not every tree's list.
                lock (used)
                {
                    foreach (var chunk in chunks)
                    {
                        used.Add(chunk.Id);
                    }
                }
            });

        foreach (var id in used)
        {
            if (!index.Contains(id))
            {
                throw new IntegrityException(
                    $"blob {id.Short}, which a snapshot or change segment needs, is in no index: the repository is damaged. Run 'lifeboat check'; nothing was removed");
            }
        }

        return used;
    }
}
