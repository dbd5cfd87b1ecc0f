using System.Text;

namespace Lifeboat.Storage.Tests;

/// <summary>Listing, deleting, cancellation and name rules.</summary>
public abstract partial class StorageConformanceTests
{
    [Fact]
    public async Task Listing_returns_exactly_the_objects_under_the_prefix()
    {
        string[] names = ["config", "keys/k1", "snapshots/s1", "snapshots/s2", "snap/not-a-snapshot", "data/ab/ab01", "data/ab/ab02", "data/cd/cd01"];
        foreach (string name in names)
        {
            await Storage.WriteAsync(name, Encoding.UTF8.GetBytes(name), default);
        }

        (await ListAllAsync("snapshots/")).Should().BeEquivalentTo([new ObjectInfo("snapshots/s1", 12), new ObjectInfo("snapshots/s2", 12)]);
        (await ListAllAsync("data/")).Select(o => o.Name).Should().BeEquivalentTo(["data/ab/ab01", "data/ab/ab02", "data/cd/cd01"]);
        (await ListAllAsync("data/ab/")).Select(o => o.Name).Should().BeEquivalentTo(["data/ab/ab01", "data/ab/ab02"]);
        (await ListAllAsync("data/ab/ab0")).Select(o => o.Name).Should().BeEquivalentTo(["data/ab/ab01", "data/ab/ab02"]);
        (await ListAllAsync("snap")).Select(o => o.Name).Should().BeEquivalentTo(["snapshots/s1", "snapshots/s2", "snap/not-a-snapshot"]);
        (await ListAllAsync("")).Select(o => o.Name).Should().BeEquivalentTo(names);
        (await ListAllAsync("index/")).Should().BeEmpty();
        (await ListAllAsync("nowhere/at/all/")).Should().BeEmpty();
    }

    [Fact]
    public async Task Listing_an_empty_store_returns_nothing() => (await ListAllAsync("")).Should().BeEmpty();

    [Fact]
    public async Task Listing_returns_more_than_a_thousand_objects()
    {
        string[] names = Enumerable.Range(0, ManyObjectsCount).Select(i => $"index/{i:x2}{i:d5}").ToArray();
        await Parallel.ForEachAsync(
            names,
            new ParallelOptions { MaxDegreeOfParallelism = WriteParallelism },
            async (name, cancellationToken) => await Storage.WriteAsync(name, Encoding.UTF8.GetBytes(name), cancellationToken));
        await Storage.WriteAsync("indexes-are-not-this", new byte[] { 1 }, default);

        List<ObjectInfo> listed = await ListAllAsync("index/");

        // sorted comparison: BeEquivalentTo is quadratic, too slow for this many items
        listed.Select(o => o.Name).Order(StringComparer.Ordinal).Should().Equal(names.Order(StringComparer.Ordinal));
        listed.Should().OnlyContain(o => o.Size == o.Name.Length);
    }

    [Fact]
    public async Task Names_may_be_deeply_nested()
    {
        const string name = "a/b/c/d/e/f/object";
        await Storage.WriteAsync(name, new byte[] { 42 }, default);
        await Storage.WriteAsync("a/b/sibling", new byte[] { 43 }, default);

        (await Storage.ReadAsync(name, 0, null, default)).Should().Equal(42);
        (await ListAllAsync("a/b/c/")).Select(o => o.Name).Should().Equal(name);
        (await ListAllAsync("a/")).Select(o => o.Name).Should().BeEquivalentTo([name, "a/b/sibling"]);
    }

    [Fact]
    public async Task A_deleted_object_is_gone()
    {
        await Storage.WriteAsync("locks/l1", new byte[] { 1, 2 }, default);
        await Storage.WriteAsync("locks/l2", new byte[] { 3 }, default);

        await Storage.DeleteAsync("locks/l1", default);

        (await Storage.StatAsync("locks/l1", default)).Should().BeNull();
        Func<Task> read = () => Storage.ReadAsync("locks/l1", 0, null, default);
        (await read.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.NotFound);
        (await ListAllAsync("locks/")).Select(o => o.Name).Should().Equal("locks/l2");
    }

    [Fact]
    public async Task Deleting_is_idempotent()
    {
        await Storage.WriteAsync("locks/l1", new byte[] { 1 }, default);

        await Storage.DeleteAsync("locks/l1", default);
        await Storage.DeleteAsync("locks/l1", default);
        await Storage.DeleteAsync("locks/never-existed", default);
        await Storage.DeleteAsync("nowhere/at/all", default);

        (await Storage.StatAsync("locks/l1", default)).Should().BeNull();
    }

    [Fact]
    public async Task A_deleted_name_can_be_written_again()
    {
        await Storage.WriteAsync("locks/l1", new byte[] { 1 }, default);
        await Storage.DeleteAsync("locks/l1", default);

        await Storage.WriteAsync("locks/l1", new byte[] { 2, 3 }, default);

        (await Storage.ReadAsync("locks/l1", 0, null, default)).Should().Equal(2, 3);
    }

    [Fact]
    public async Task A_cancelled_token_cancels_every_operation()
    {
        await Storage.WriteAsync("snapshots/s1", new byte[] { 1 }, default);
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        CancellationToken cancelled = cancellation.Token;

        await FluentActions.Awaiting(() => Storage.WriteAsync("snapshots/s2", new byte[] { 2 }, cancelled)).Should().ThrowAsync<OperationCanceledException>();
        await FluentActions.Awaiting(() => Storage.ReadAsync("snapshots/s1", 0, null, cancelled)).Should().ThrowAsync<OperationCanceledException>();
        await FluentActions.Awaiting(() => Storage.StatAsync("snapshots/s1", cancelled)).Should().ThrowAsync<OperationCanceledException>();
        await FluentActions.Awaiting(() => ListAllAsync("snapshots/", cancelled)).Should().ThrowAsync<OperationCanceledException>();
        await FluentActions.Awaiting(() => Storage.DeleteAsync("snapshots/s1", cancelled)).Should().ThrowAsync<OperationCanceledException>();

        (await Storage.StatAsync("snapshots/s2", default)).Should().BeNull("a cancelled write must not leave an object");
        (await ListAllAsync("")).Select(o => o.Name).Should().Equal("snapshots/s1");
    }

    [Theory]
    [InlineData("")]
    [InlineData("/config")]
    [InlineData("data/")]
    [InlineData("data//x")]
    [InlineData("data/../config")]
    [InlineData("./config")]
    [InlineData("data\\x")]
    public async Task Invalid_names_are_rejected(string name)
    {
        await FluentActions.Awaiting(() => Storage.WriteAsync(name, new byte[] { 1 }, default)).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => Storage.ReadAsync(name, 0, null, default)).Should().ThrowAsync<ArgumentException>();
    }
}
