using Lifeboat.Repository.Format;

namespace Lifeboat.Repository.Prune;

/// <summary>What prune does with a pack.</summary>
internal enum PackFate
{
    /// <summary>Stays as it is and is listed in the new index.</summary>
    Keep,

    /// <summary>Its used blobs are copied into new packs; then it is removed.</summary>
    Repack,

    /// <summary>Holds no used blob (or is in no index): removed.</summary>
    Delete,
}

/// <summary>One pack as prune sees it.</summary>
internal sealed class PrunePack(BlobId id, int number, IReadOnlyList<PackEntry> entries, long storedSize)
{
    private readonly long _dataBytes = entries.Sum(e => (long)e.Length);

    public BlobId Id { get; } = id;

    /// <summary>The pack's number among the indexed packs (-1 when in no index).</summary>
    public int Number { get; } = number;

    /// <summary>The index's entries (empty for a pack in no index).</summary>
    public IReadOnlyList<PackEntry> Entries { get; } = entries;

    /// <summary>Size in storage; -1 when the index lists it but storage lacks it.</summary>
    public long StoredSize { get; } = storedSize;

    public long UsedBytes { get; set; }

    public int UsedBlobs { get; set; }

    /// <summary>Bytes of blobs nothing needs (a pack in no index: all of it). Header bytes are not counted.</summary>
    public long UnusedBytes => StoredSize < 0 ? 0 : Indexed ? _dataBytes - UsedBytes : StoredSize;

    public PackFate Fate { get; set; }

    public bool Indexed => Number >= 0;
}

/// <summary>
/// The decisions of a prune, made before anything changes: which pack holds the copy of each
/// used blob that survives, and what happens to every pack.
/// </summary>
internal sealed class PrunePlan
{
    private readonly Dictionary<BlobId, int> _owner;

    private PrunePlan(Dictionary<BlobId, int> owner, List<PrunePack> packs, int missing, IReadOnlyList<BlobId> indexFiles)
    {
        _owner = owner;
        Packs = packs;
        MissingPacks = missing;
        IndexFiles = indexFiles;
    }

    public IReadOnlyList<PrunePack> Packs { get; }

    public IReadOnlyList<BlobId> IndexFiles { get; }

    /// <summary>Packs the index lists that storage does not have (they hold no needed blob).</summary>
    public int MissingPacks { get; }

    public IEnumerable<PrunePack> Kept => Packs.Where(p => p.Fate == PackFate.Keep);

    public IEnumerable<PrunePack> ToRepack => Packs.Where(p => p.Fate == PackFate.Repack);

    public IEnumerable<PrunePack> ToDelete => Packs.Where(p => p.Fate == PackFate.Delete);

    public long UsedBytes => Packs.Where(p => p.StoredSize >= 0).Sum(p => p.UsedBytes);

    public long UnusedBytes => Packs.Where(p => p.StoredSize >= 0).Sum(p => p.UnusedBytes);

    public long UnusedBytesAfter => Kept.Sum(p => p.UnusedBytes);

    /// <summary>Whether this pack's copy of the blob is the one that survives.</summary>
    public bool Owns(PrunePack pack, BlobId blob) => _owner.TryGetValue(blob, out var owner) && owner == pack.Number;

    /// <summary>Whether the index must be rewritten even though no pack changes (to consolidate it).</summary>
    public bool IndexNeedsRewrite =>
        MissingPacks > 0 || Packs.Any(p => p.Indexed && p.Fate != PackFate.Keep)
        || IndexFiles.Count > (Kept.Count() + IndexFile.MaxPacks - 1) / IndexFile.MaxPacks;

    public bool NothingToDo => !IndexNeedsRewrite && !ToDelete.Any();

    /// <summary>
    /// Decides. Every used blob is assigned to one existing pack that holds it, preferring packs
    /// with the largest share of used blobs (so after an interrupted prune the fresh repacked
    /// copies win and the half-pruned old packs go). Fully unused and unindexed packs are
    /// deleted; then packs with the largest unused share are repacked until the unused bytes
    /// left fit <see cref="PruneOptions.MaxUnused"/>.
    /// </summary>
    public static PrunePlan Create(MasterIndex index, IReadOnlyDictionary<BlobId, long> stored, HashSet<BlobId> used, PruneOptions options)
    {
        var entriesByPack = index.EntriesByPack();
        var packs = new List<PrunePack>();
        var missing = 0;
        for (var number = 0; number < index.Packs.Count; number++)
        {
            var id = index.Packs[number];
            var exists = stored.TryGetValue(id, out var size);
            missing += exists ? 0 : 1;
            packs.Add(new PrunePack(id, number, entriesByPack[id], exists ? size : -1));
        }

        packs.AddRange(stored.Where(s => !index.ContainsPack(s.Key)).Select(s => new PrunePack(s.Key, -1, [], s.Value) { Fate = PackFate.Delete }));

        var owner = used.ToDictionary(id => id, _ => -1);
        var candidates = packs.Where(p => p.Indexed && p.StoredSize >= 0)
            .Select(p => (Pack: p, Share: p.Entries.Count == 0 ? 0 : p.Entries.Count(e => owner.ContainsKey(e.Id)) / (double)p.Entries.Count))
            .OrderByDescending(c => c.Share)
            .ThenBy(c => c.Pack.Id)
            .Select(c => c.Pack)
            .ToList();
        foreach (var pack in candidates)
        {
            foreach (var entry in pack.Entries)
            {
                if (owner.TryGetValue(entry.Id, out var current) && current < 0)
                {
                    owner[entry.Id] = pack.Number;
                    pack.UsedBytes += entry.Length;
                    pack.UsedBlobs++;
                }
            }
        }

        var lost = owner.Where(o => o.Value < 0).Select(o => o.Key).FirstOrDefault();
        if (owner.Any(o => o.Value < 0))
        {
            throw new IntegrityException(
                $"blob {lost.Short}, which a snapshot needs, is only in packs missing from storage: the repository is damaged. Run 'lifeboat check'; nothing was removed");
        }

        foreach (var pack in packs.Where(p => p.Indexed))
        {
            pack.Fate = pack.StoredSize < 0 || pack.UsedBlobs == 0 ? PackFate.Delete : PackFate.Keep;
        }

        ChooseRepacks(packs, options.MaxUnused);
        return new PrunePlan(owner, packs, missing, index.IndexFiles);
    }

    private static void ChooseRepacks(List<PrunePack> packs, double? maxUnused)
    {
        if (maxUnused is not { } fraction)
        {
            return;
        }

        var kept = packs.Where(p => p.Fate == PackFate.Keep).ToList();
        var used = kept.Sum(p => p.UsedBytes);
        var budget = (long)(used * fraction / (1 - fraction));
        var unused = kept.Sum(p => p.UnusedBytes);
        foreach (var pack in kept.Where(p => p.UnusedBytes > 0).OrderByDescending(p => p.UnusedBytes / (double)p.StoredSize).ThenBy(p => p.Id))
        {
            if (unused <= budget)
            {
                break;
            }

            pack.Fate = PackFate.Repack;
            unused -= pack.UnusedBytes;
        }
    }
}
