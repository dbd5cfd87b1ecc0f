using Lifeboat.Storage;

namespace Lifeboat.Repository.Tests;

public class RepositoryDisposalTests
{
    [Fact]
    public async Task Disposing_a_repository_disposes_its_storage_once_however_often_it_is_disposed()
    {
        var storage = new DisposalCountingStorage(new InMemoryStorage());
        var repository = await TestRepository.InitAsync(storage);

        await repository.DisposeAsync();
        await repository.DisposeAsync();

        storage.Disposals.Should().Be(1);
    }

    [Fact]
    public async Task A_repository_opened_again_owns_the_storage_it_was_opened_with()
    {
        var shared = new InMemoryStorage();
        await (await TestRepository.InitAsync(shared)).DisposeAsync();
        var storage = new DisposalCountingStorage(shared);

        await using (await BackupRepository.OpenAsync(storage, TestRepository.Password, RepositoryContext.Default, CancellationToken.None))
        {
            storage.Disposals.Should().Be(0);
        }

        storage.Disposals.Should().Be(1);
    }

    [Fact]
    public async Task An_open_that_fails_leaves_the_storage_to_the_caller_undisposed()
    {
        var shared = new InMemoryStorage();
        await (await TestRepository.InitAsync(shared)).DisposeAsync();
        var storage = new DisposalCountingStorage(shared);

        var open = () => BackupRepository.OpenAsync(storage, "not the password", RepositoryContext.Default, CancellationToken.None);

        await open.Should().ThrowAsync<WrongPasswordException>();
        storage.Disposals.Should().Be(0);
    }

    /// <summary>Passes everything to <paramref name="inner"/> and counts the calls to <see cref="DisposeAsync"/> (without passing them on).</summary>
    private sealed class DisposalCountingStorage(IStorage inner) : IStorage
    {
        private int _disposals;

        public int Disposals => Volatile.Read(ref _disposals);

        public string Location => inner.Location;

        public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            inner.WriteAsync(name, content, cancellationToken);

        public Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken) =>
            inner.ReadAsync(name, offset, length, cancellationToken);

        public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken) => inner.StatAsync(name, cancellationToken);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref _disposals);
            return ValueTask.CompletedTask;
        }
    }
}
