namespace Lifeboat.Storage.Tests;

public sealed class ConcurrencyLimitingStorageTests
{
    [Fact]
    public async Task The_limit_is_never_exceeded()
    {
        var probe = new ProbeStorage(TimeSpan.FromMilliseconds(3));
        var storage = new ConcurrencyLimitingStorage(probe, maxConcurrentOperations: 3);

        await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
        {
            await storage.WriteAsync($"data/{i:d2}", new byte[] { 1 }, default);
            await storage.ReadAsync($"data/{i:d2}", 0, null, default);
            await storage.StatAsync($"data/{i:d2}", default);
        })));

        probe.MaximumConcurrency.Should().BeInRange(2, 3);
    }

    [Fact]
    public async Task A_caller_may_use_the_storage_while_it_lists()
    {
        var storage = new ConcurrencyLimitingStorage(new InMemoryStorage(), maxConcurrentOperations: 1);
        for (int i = 0; i < 5; i++)
        {
            await storage.WriteAsync($"locks/{i}", new byte[] { 1 }, default);
        }

        Task listing = Task.Run(async () =>
        {
            await foreach (ObjectInfo info in storage.ListAsync("locks/", default))
            {
                await storage.DeleteAsync(info.Name, default);
            }
        });

        (await Task.WhenAny(listing, Task.Delay(TimeSpan.FromSeconds(10)))).Should().BeSameAs(listing, "listing must not hold the only slot");
        await listing;
    }

    [Fact]
    public async Task Waiting_for_a_slot_can_be_cancelled_without_losing_the_slot()
    {
        var probe = new ProbeStorage(TimeSpan.FromMilliseconds(300));
        var storage = new ConcurrencyLimitingStorage(probe, maxConcurrentOperations: 1);
        Task busy = storage.WriteAsync("config", new byte[] { 1 }, default);
        using var cancellation = new CancellationTokenSource();

        Task waiting = storage.StatAsync("config", cancellation.Token);
        await cancellation.CancelAsync();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        await busy;
        (await storage.StatAsync("config", default)).Should().NotBeNull();
    }

    [Fact]
    public void A_limit_below_one_is_rejected() =>
        FluentActions.Invoking(() => new ConcurrencyLimitingStorage(new InMemoryStorage(), 0)).Should().Throw<ArgumentOutOfRangeException>();
}
