using System.Text;
using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

public class RoundTripTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100_000)]
    [InlineData(10 * 1024 * 1024)]
    public async Task A_stream_of_any_size_dumps_back_byte_identical(int size)
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var data = TestRepository.RandomBytes(size, size);

        var record = await TestRepository.BackupAsync(repository, "db.dump", data);
        var reopened = await BackupRepository.OpenAsync(storage, TestRepository.Password, RepositoryContext.Default, CancellationToken.None);

        (await TestRepository.DumpAsync(reopened, record, "db.dump")).Should().Equal(data);
        record.Snapshot.Streams.Single().Size.Should().Be(size);
    }

    [Fact]
    public async Task Backing_up_the_same_stream_twice_adds_almost_nothing()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var data = TestRepository.RandomBytes(8 * 1024 * 1024, 7);
        await TestRepository.BackupAsync(repository, "a", data);
        var before = await TestRepository.StoredBytesAsync(storage);

        var second = await TestRepository.BackupAsync(repository, "a", data);

        var growth = await TestRepository.StoredBytesAsync(storage) - before;
        growth.Should().BeLessThan(before / 100);
        second.Snapshot.Summary.NewBlobs.Should().Be(0);
    }

    [Fact]
    public async Task Inserting_a_kibibyte_in_the_middle_stores_only_a_few_new_chunks()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var data = TestRepository.RandomBytes(8 * 1024 * 1024, 8);
        var first = await TestRepository.BackupAsync(repository, "a", data);
        var changed = data[..(data.Length / 2)].Concat(TestRepository.RandomBytes(1024, 9)).Concat(data[(data.Length / 2)..]).ToArray();

        var second = await TestRepository.BackupAsync(repository, "a", changed);

        // Around the insertion a few chunks change (boundaries re-synchronise within a chunk or
        // two, depending on where the keyed gear hash cuts), plus the tree blob; the rest dedups.
        var chunks = first.Snapshot.Summary.NewBlobs;
        second.Snapshot.Summary.NewBlobs.Should().BeLessThanOrEqualTo(6, "a few data chunks and the tree change, of {0}", chunks);
        second.Snapshot.Summary.NewBytes.Should().BeLessThan(data.Length / 10);
        (await TestRepository.DumpAsync(repository, second, "a")).Should().Equal(changed);
    }

    [Fact]
    public async Task No_stored_file_contains_the_plaintext()
    {
        using var directory = new TempDirectory();
        var storage = new LocalFileStorage(directory.Path);
        var repository = await TestRepository.InitAsync(storage);
        var marker = "LIFEBOAT-SECRET-MARKER-0123456789";
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(marker + "\n", 200_000)));

        await TestRepository.BackupAsync(repository, "a", data);

        foreach (var file in Directory.EnumerateFiles(directory.Path, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Encoding.ASCII.GetString(bytes).Should().NotContain("SECRET-MARKER", file);
            Encoding.ASCII.GetString(bytes).Should().NotContain(TestRepository.Password);
        }
    }

    [Fact]
    public async Task Several_streams_written_at_once_all_dump_back()
    {
        var storage = new InMemoryStorage();
        var repository = await TestRepository.InitAsync(storage);
        var index = await MasterIndex.LoadAsync(repository, CancellationToken.None);
        var writer = new Backup.BackupWriter(repository, index, new Backup.BackupWriterOptions());
        var inputs = Enumerable.Range(0, 6).Select(i => TestRepository.RandomBytes(1_000_000 + (i * 77_777), 100 + i)).ToArray();

        await Task.WhenAll(inputs.Select((data, i) => writer.AddStreamAsync($"s{i}", new MemoryStream(data), CancellationToken.None)));
        var record = await writer.CommitAsync(new Backup.SnapshotDescription("stream", "many", [], "test"), CancellationToken.None);

        for (var i = 0; i < inputs.Length; i++)
        {
            (await TestRepository.DumpAsync(repository, record, $"s{i}")).Should().Equal(inputs[i]);
        }
    }
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lifeboat-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
