using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Operations.Tests.Support;

/// <summary>Small, fast repositories and the storage stacks the tests run them on.</summary>
internal static class TestRepositories
{
    public const string Password = "operations test password";

    /// <summary>Small chunks and 1 MiB packs, so megabytes exercise many chunks and packs; a cheap KDF.</summary>
    public static readonly RepositoryInitOptions SmallOptions = new()
    {
        Chunker = new ChunkerParameters(16 * 1024, 64 * 1024, 256 * 1024),
        PackSize = 1024 * 1024,
        Kdf = new KdfParameters(KdfParameters.MinimumMemoryKiB, 1, 1),
    };

    /// <summary>Fast retries (milliseconds) with enough attempts that 10 % faults never exhaust them.</summary>
    public static readonly RetryOptions FastRetries = new()
    {
        MaxAttempts = 12,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(20),
    };

    public static Task<BackupRepository> InitAsync(IStorage storage, string password = Password) =>
        BackupRepository.InitAsync(storage, password, SmallOptions, RepositoryContext.Default, CancellationToken.None);

    public static Task<BackupRepository> OpenAsync(IStorage storage, string password = Password) =>
        BackupRepository.OpenAsync(storage, password, RepositoryContext.Default, CancellationToken.None);

    /// <summary>One snapshot holding the given streams.</summary>
    public static async Task<SnapshotRecord> BackupAsync(BackupRepository repository, IReadOnlyDictionary<string, byte[]> streams, params string[] tags)
    {
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var writer = new BackupWriter(repository, index, new BackupWriterOptions());
        foreach (var (name, data) in streams)
        {
            await writer.AddStreamAsync(name, new MemoryStream(data), CancellationToken.None);
        }

        return await writer.CommitAsync(new SnapshotDescription("stream", string.Join(",", streams.Keys), tags, "test"), CancellationToken.None);
    }

    public static async Task<byte[]> DumpAsync(BackupRepository repository, SnapshotRecord record, string name)
    {
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var output = new MemoryStream();
        await new StreamRestorer(new BlobReader(repository, index), 4)
            .WriteToAsync(record.Snapshot.Streams.Single(s => s.Name == name), output, CancellationToken.None);
        return output.ToArray();
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Objects in the storage except locks.</summary>
    public static async Task<List<string>> ObjectsAsync(IStorage storage)
    {
        var names = new List<string>();
        await foreach (var info in storage.ListAsync("", CancellationToken.None))
        {
            if (!info.Name.StartsWith(Locks.Prefix, StringComparison.Ordinal))
            {
                names.Add(info.Name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
