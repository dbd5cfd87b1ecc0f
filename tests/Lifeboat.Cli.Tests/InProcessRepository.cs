using Lifeboat.Repository;
using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Check;
using Lifeboat.Repository.Chunking;
using Lifeboat.Repository.Crypto;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// Builds and verifies a <see cref="TestRepo"/>'s repository in this process, through the
/// repository API: much faster than one CLI run per snapshot, for setting up big scenarios.
/// </summary>
internal static class InProcessRepository
{
    /// <summary>Small chunks and 1 MiB packs, so a few MB make many packs.</summary>
    public static readonly RepositoryInitOptions SmallPacks = new()
    {
        Chunker = new ChunkerParameters(16 * 1024, 64 * 1024, 256 * 1024),
        PackSize = 1024 * 1024,
        Kdf = new KdfParameters(KdfParameters.MinimumMemoryKiB, 1, 1),
    };

    public static Task<BackupRepository> InitAsync(TestRepo repo, RepositoryInitOptions options) =>
        BackupRepository.InitAsync(new LocalFileStorage(repo.Path_), TestRepo.Password, options, RepositoryContext.Default, CancellationToken.None);

    public static Task<BackupRepository> OpenAsync(TestRepo repo) =>
        BackupRepository.OpenAsync(new LocalFileStorage(repo.Path_), TestRepo.Password, RepositoryContext.Default, CancellationToken.None);

    public static async Task<SnapshotRecord> BackupAsync(BackupRepository repository, byte[] data, DateTimeOffset time, string name = "data.bin")
    {
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var writer = new BackupWriter(repository, index, new BackupWriterOptions());
        await writer.AddStreamAsync(name, new MemoryStream(data), CancellationToken.None);
        return await writer.CommitAsync(new SnapshotDescription("stream", name, [], "test") { Time = time }, CancellationToken.None);
    }

    public static async Task<byte[]> DumpAsync(BackupRepository repository, SnapshotRecord record, string name = "data.bin")
    {
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var output = new MemoryStream();
        await new StreamRestorer(new BlobReader(repository, index), 4).WriteToAsync(record.Snapshot.Streams.Single(s => s.Name == name), output, CancellationToken.None);
        return output.ToArray();
    }

    public static async Task<CheckReport> CheckAsync(BackupRepository repository) =>
        await new Checker(repository).RunAsync(new CheckOptions { ReadDataPercent = 100 }, CancellationToken.None);
}
