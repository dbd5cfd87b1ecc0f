using Lifeboat.Repository.Backup;
using Lifeboat.Repository.Format;
using Lifeboat.Repository.Restore;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

/// <summary>Finding a stream a repository holds already (<see cref="StoredStreams"/>) and removing snapshots (<see cref="SnapshotStore.RemoveAsync"/>).</summary>
public class StoredStreamsTests
{
    [Fact]
    public async Task A_stream_of_the_same_content_is_found_only_while_its_tree_and_every_chunk_are_indexed()
    {
        var repository = await TestRepository.InitAsync(new InMemoryStorage());
        var data = TestRepository.RandomBytes(600_000, 3);
        var record = await TestRepository.BackupAsync(repository, "a", data);
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var stored = record.Snapshot.Streams.Single();
        var elsewhere = stored with { Name = "b", Trees = [] };
        var chunks = await new BlobReader(repository, index).ReadChunkListAsync(stored, CancellationToken.None);
        var streams = new StoredStreams();

        (await streams.FindAsync(elsewhere, new BlobReader(repository, index), CancellationToken.None)).Should().BeNull("nothing was added yet");
        streams.Add(record.Snapshot);
        (await new StoredStreams().FindAsync(elsewhere, new BlobReader(repository, new MasterIndex()), CancellationToken.None)).Should().BeNull();
        var withoutChunk = Without(index, chunks[1].Id);
        (await streams.FindAsync(elsewhere, new BlobReader(repository, withoutChunk), CancellationToken.None)).Should().BeNull("a chunk is not indexed");
        (await streams.FindAsync(elsewhere with { Size = stored.Size + 1 }, new BlobReader(repository, index), CancellationToken.None)).Should().BeNull();
        (await streams.FindAsync(elsewhere, new BlobReader(repository, index), CancellationToken.None)).Should().Be(stored);
    }

    [Fact]
    public async Task Removing_a_snapshot_deletes_only_its_object_even_when_it_cannot_be_read()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var kept = await TestRepository.BackupAsync(repository, "a", TestRepository.RandomBytes(1000, 1));
        var removed = await TestRepository.BackupAsync(repository, "b", TestRepository.RandomBytes(1000, 2));
        await storage.DeleteAsync(SnapshotStore.Prefix + removed.Id, CancellationToken.None);
        await storage.WriteAsync(SnapshotStore.Prefix + removed.Id, new byte[] { 1, 2, 3 }, CancellationToken.None);

        await SnapshotStore.RemoveAsync(repository, removed.Id, CancellationToken.None);
        await SnapshotStore.RemoveAsync(repository, removed.Id, CancellationToken.None);

        (await SnapshotStore.ListIdsAsync(repository, CancellationToken.None)).Should().Equal(kept.Id);
        (await TestRepository.DumpAsync(repository, kept, "a")).Should().Equal(TestRepository.RandomBytes(1000, 1));
    }

    private static MasterIndex Without(MasterIndex index, BlobId blob)
    {
        var partial = new MasterIndex();
        foreach (var (pack, entries) in index.EntriesByPack())
        {
            partial.Add(new IndexedPack(pack, [.. entries.Where(e => e.Id != blob)]));
        }

        return partial;
    }
}
