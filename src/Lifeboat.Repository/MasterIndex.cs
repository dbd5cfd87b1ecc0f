using Lifeboat.Repository.Format;

namespace Lifeboat.Repository;

/// <summary>
/// Every blob's location, loaded from all index files: blob id → pack and position. About 60
/// bytes per blob, so 1 TiB of 1 MiB chunks needs ~60 MiB. Read concurrently; built once.
/// </summary>
public sealed class MasterIndex
{
    private readonly Dictionary<BlobId, BlobLocation> _blobs = [];
    private readonly List<BlobId> _packs = [];
    private readonly Dictionary<BlobId, int> _packNumbers = [];

    // Second copies of blobs stored in more than one pack (two backups racing, an interrupted
    // prune): rare, but a pack's entries must be complete for size checks and repacking.
    private readonly List<BlobLocation> _duplicates = [];

    /// <summary>The index files this was loaded from.</summary>
    public List<BlobId> IndexFiles { get; } = [];

    public int BlobCount => _blobs.Count;

    public IReadOnlyList<BlobId> Packs => _packs;

    public bool Contains(BlobId id) => _blobs.ContainsKey(id);

    public bool TryGet(BlobId id, out BlobLocation location) => _blobs.TryGetValue(id, out location);

    public BlobId PackOf(BlobLocation location) => _packs[location.Pack];

    public bool ContainsPack(BlobId packId) => _packNumbers.ContainsKey(packId);

    /// <summary>
    /// Adds a pack's entries. A pack listed again (by another index file) is ignored: packs are
    /// content-addressed, so every listing of one names the same entries.
    /// </summary>
    internal void Add(IndexedPack pack)
    {
        if (_packNumbers.ContainsKey(pack.PackId))
        {
            return;
        }

        var number = _packs.Count;
        _packs.Add(pack.PackId);
        _packNumbers.Add(pack.PackId, number);
        foreach (var entry in pack.Entries)
        {
            var location = new BlobLocation(number, entry);
            if (!_blobs.TryAdd(entry.Id, location))
            {
                _duplicates.Add(location);
            }
        }
    }

    /// <summary>Every entry of every pack (also second copies of a blob), for check and prune.</summary>
    public Dictionary<BlobId, List<PackEntry>> EntriesByPack()
    {
        var result = _packs.ToDictionary(p => p, _ => new List<PackEntry>());
        foreach (var location in _blobs.Values.Concat(_duplicates))
        {
            result[_packs[location.Pack]].Add(location.Entry);
        }

        return result;
    }

    /// <summary>The bytes the indexed packs take in the storage, as their entries imply (no listing of the packs).</summary>
    public long PackBytes() => EntriesByPack().Values.Sum(entries => Check.Checker.ExpectedPackSize(entries));

    /// <summary>Loads every index file. A damaged one is an integrity error naming it.</summary>
    public static async Task<MasterIndex> LoadAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var index = new MasterIndex();
        var names = new List<string>();
        await foreach (var info in repository.Storage.ListAsync("index/", cancellationToken))
        {
            names.Add(info.Name);
        }

        var loaded = new IndexedPack[names.Count][];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var bytes = await repository.ReadHashedObjectAsync(names[i], ct);
                loaded[i] = [.. IndexFile.Decode(bytes, repository.Key, $"index file '{names[i]}'")];
            });
        for (var i = 0; i < names.Count; i++)
        {
            index.IndexFiles.Add(BlobId.Parse(names[i]["index/".Length..]));
            foreach (var pack in loaded[i])
            {
                index.Add(pack);
            }
        }

        return index;
    }
}

/// <summary>Where a blob lives: the pack's number in the index and the blob's entry.</summary>
public readonly record struct BlobLocation(int Pack, PackEntry Entry);
