using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Repository.Backup;

/// <summary>
/// The streams of a repository's snapshots by content (SHA-256 and size), to write a stream the repository
/// holds already without reading it (<see cref="BackupWriter.AddExistingStream"/>). <see cref="FindAsync"/>
/// answers only with a stream whose tree blobs and every chunk they list are in the index; trees found complete
/// are remembered (an index only grows while it is written to). Safe to use from several threads.
/// </summary>
public sealed class StoredStreams
{
    private readonly Dictionary<(string Sha256, long Size), SnapshotStream> _streams = [];
    private readonly HashSet<BlobId> _completeTrees = [];

    /// <summary>Remembers the streams of <paramref name="snapshot"/> (the first one of each content wins).</summary>
    public void Add(Snapshot snapshot)
    {
        lock (_streams)
        {
            foreach (var stream in snapshot.Streams)
            {
                _streams.TryAdd((stream.Sha256, stream.Size), stream);
            }
        }
    }

    /// <summary>
    /// A stream with the content of <paramref name="stream"/> that the repository of <paramref name="reader"/> holds
    /// completely (each tree blob read and its chunks looked up in the reader's index), or null.
    /// </summary>
    public async Task<SnapshotStream?> FindAsync(SnapshotStream stream, BlobReader reader, CancellationToken cancellationToken)
    {
        SnapshotStream? candidate;
        lock (_streams)
        {
            _streams.TryGetValue((stream.Sha256, stream.Size), out candidate);
        }

        if (candidate is null)
        {
            return null;
        }

        foreach (var tree in candidate.Trees)
        {
            var treeId = BlobId.Parse(tree);
            lock (_completeTrees)
            {
                if (_completeTrees.Contains(treeId))
                {
                    continue;
                }
            }

            if (!reader.Index.Contains(treeId))
            {
                return null;
            }

            var chunks = TreeBlob.Decode(await reader.ReadAsync(treeId, cancellationToken), $"tree blob {treeId.Short}");
            if (!chunks.All(c => reader.Index.Contains(c.Id)))
            {
                return null;
            }

            lock (_completeTrees)
            {
                _completeTrees.Add(treeId);
            }
        }

        return candidate;
    }
}
