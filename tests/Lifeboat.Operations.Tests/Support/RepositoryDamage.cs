using Lifeboat.Repository;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;

namespace Lifeboat.Operations.Tests.Support;

/// <summary>Damages a local repository's pack files under one stream of a snapshot, as a failing disk or a bad copy would.</summary>
internal static class RepositoryDamage
{
    /// <summary>Flips a byte in the middle of each chosen chunk of <paramref name="streamName"/>, in its pack file.</summary>
    public static async Task FlipChunksAsync(string directory, BackupRepository repository, SnapshotRecord record, string streamName,
        Func<IReadOnlyList<ChunkRef>, IEnumerable<ChunkRef>> choose)
    {
        var index = await MasterIndex.LoadAsync(repository, default);
        var stream = record.Snapshot.Streams.Single(s => s.Name == streamName);
        var chunks = await new BlobReader(repository, index).ReadChunkListAsync(stream, default);
        var locations = choose(chunks).Select(c => index.TryGet(c.Id, out var l) ? l : throw new InvalidOperationException("chunk not indexed"));
        foreach (var group in locations.GroupBy(l => Pack.ObjectName(index.PackOf(l))))
        {
            var path = PathOf(directory, group.Key);
            var bytes = await File.ReadAllBytesAsync(path);
            foreach (var location in group)
            {
                bytes[location.Entry.Offset + (location.Entry.Length / 2)] ^= 0x01;
            }

            File.SetAttributes(path, FileAttributes.Normal);
            await File.WriteAllBytesAsync(path, bytes);
        }
    }

    /// <summary>Cuts the pack file holding the last chunk of <paramref name="streamName"/> just before that chunk ends.</summary>
    public static async Task TruncatePackAsync(string directory, BackupRepository repository, SnapshotRecord record, string streamName)
    {
        var index = await MasterIndex.LoadAsync(repository, default);
        var stream = record.Snapshot.Streams.Single(s => s.Name == streamName);
        var chunks = await new BlobReader(repository, index).ReadChunkListAsync(stream, default);
        var last = index.TryGet(chunks[^1].Id, out var l) ? l : throw new InvalidOperationException("chunk not indexed");
        var path = PathOf(directory, Pack.ObjectName(index.PackOf(last)));
        File.SetAttributes(path, FileAttributes.Normal);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(last.Entry.Offset + (last.Entry.Length / 2));
    }

    private static string PathOf(string directory, string objectName) =>
        Path.Combine(directory, objectName.Replace('/', Path.DirectorySeparatorChar));
}
