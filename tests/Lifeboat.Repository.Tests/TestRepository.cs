using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

/// <summary>Helpers to make small, fast repositories for tests.</summary>
internal static class TestRepository
{
    public const string Password = "correct horse battery staple";

    /// <summary>Cheap KDF so tests stay fast (the default costs ~250 ms per open).</summary>
    public static readonly KdfParameters FastKdf = new(KdfParameters.MinimumMemoryKiB, 1, 1);

    /// <summary>Small chunks and packs so small inputs exercise many chunks and packs.</summary>
    public static readonly RepositoryInitOptions SmallOptions = new()
    {
        Chunker = new ChunkerParameters(16 * 1024, 64 * 1024, 256 * 1024),
        PackSize = 1024 * 1024,
        Kdf = FastKdf,
    };

    public static Task<BackupRepository> InitAsync(IStorage storage, RepositoryInitOptions? options = null) =>
        BackupRepository.InitAsync(storage, Password, options ?? SmallOptions, RepositoryContext.Default, CancellationToken.None);

    public static async Task<SnapshotRecord> BackupAsync(BackupRepository repository, string name, byte[] data, DateTimeOffset? time = null)
    {
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var writer = new BackupWriter(repository, index, new BackupWriterOptions());
        await writer.AddStreamAsync(name, new MemoryStream(data), CancellationToken.None);
        return await writer.CommitAsync(new SnapshotDescription("stream", name, [], "test") { Time = time }, CancellationToken.None);
    }

    public static async Task<byte[]> DumpAsync(BackupRepository repository, SnapshotRecord record, string name)
    {
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var output = new MemoryStream();
        await new StreamRestorer(new BlobReader(repository, index), 4)
            .WriteToAsync(record.Snapshot.Streams.Single(s => s.Name == name), output, CancellationToken.None);
        return output.ToArray();
    }

    public static async Task<long> StoredBytesAsync(IStorage storage)
    {
        long total = 0;
        await foreach (var info in storage.ListAsync("", CancellationToken.None))
        {
            total += info.Size;
        }

        return total;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
