using Lifeboat.Repository.Format;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Restore;

/// <summary>Fetches and opens single blobs by id (range read of the pack, then verify).</summary>
public sealed class BlobReader(BackupRepository repository, MasterIndex index)
{
    public BackupRepository Repository { get; } = repository;

    public MasterIndex Index { get; } = index;

    public async Task<byte[]> ReadAsync(BlobId id, CancellationToken cancellationToken)
    {
        var (location, packName, stored) = await ReadStoredAsync(id, cancellationToken);
        return Repository.Codec.Open(location.Entry, stored, $"pack '{packName}'");
    }

    /// <summary>As <see cref="ReadAsync"/>, into a pooled buffer the caller disposes.</summary>
    internal async Task<PooledBlob> ReadPooledAsync(BlobId id, CancellationToken cancellationToken)
    {
        var (location, packName, stored) = await ReadStoredAsync(id, cancellationToken);
        return Repository.Codec.OpenPooled(location.Entry, stored, $"pack '{packName}'");
    }

    private async Task<(BlobLocation Location, string PackName, byte[] Stored)> ReadStoredAsync(BlobId id, CancellationToken cancellationToken)
    {
        if (!Index.TryGet(id, out var location))
        {
            throw new IntegrityException($"blob {id.Short} is missing: no index file lists it (run 'lifeboat check')");
        }

        var packName = Pack.ObjectName(Index.PackOf(location));
        byte[] stored;
        try
        {
            stored = await Repository.Storage.ReadAsync(packName, location.Entry.Offset, location.Entry.Length, cancellationToken);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.NotFound)
        {
            throw new IntegrityException($"pack '{packName}' is missing: blob {id.Short} cannot be read", e);
        }
        catch (StorageException e) when (e.Kind == StorageErrorKind.Permanent)
        {
            // only a pack shorter than the index says is damage; access denied, a missing bucket and the like
            // are the storage's failure and propagate as they are (exit 4, not 3)
            if (await IsTruncatedAsync(packName, location.Entry.Offset + location.Entry.Length, cancellationToken))
            {
                throw new IntegrityException($"pack '{packName}' cannot be read at blob {id.Short}: {e.Message}", e);
            }

            throw;
        }

        return (location, packName, stored);
    }

    /// <summary>
    /// Whether a permanent read failure is damage: the pack is shorter than the index says. Access
    /// denied and the like are not, and neither is a pack whose size cannot be looked up.
    /// </summary>
    private async Task<bool> IsTruncatedAsync(string packName, long end, CancellationToken cancellationToken)
    {
        try
        {
            return await Repository.Storage.StatAsync(packName, cancellationToken) is not { } info || info.Size < end;
        }
        catch (StorageException)
        {
            return false;
        }
    }

    /// <summary>The chunk list of a stream, from its tree blobs.</summary>
    public async Task<List<ChunkRef>> ReadChunkListAsync(SnapshotStream stream, CancellationToken cancellationToken)
    {
        var chunks = new List<ChunkRef>();
        foreach (var tree in stream.Trees)
        {
            var treeId = BlobId.Parse(tree);
            chunks.AddRange(TreeBlob.Decode(await ReadAsync(treeId, cancellationToken), $"tree blob {treeId.Short}"));
        }

        return chunks;
    }
}
