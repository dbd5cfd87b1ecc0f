namespace Lifeboat.Storage.Tests;

public sealed class FaultInjectingStorageTests
{
    private readonly InMemoryStorage _backend = new();

    [Fact]
    public async Task The_failure_rate_is_honoured_approximately()
    {
        var storage = new FaultInjectingStorage(_backend, seed: 7);
        storage.SetFailureRate(StorageOperation.Stat, 0.25);

        int failures = 0;
        for (int i = 0; i < 4000; i++)
        {
            try
            {
                await storage.StatAsync("config", default);
            }
            catch (StorageException exception) when (exception.Kind == StorageErrorKind.Transient)
            {
                failures++;
            }
        }

        failures.Should().BeInRange(880, 1120);
        storage.InjectedFaultsOf(StorageOperation.Stat).Should().Be(failures);
        storage.InjectedFaults.Should().Be(failures);
        storage.CallsOf(StorageOperation.Stat).Should().Be(4000);
    }

    [Fact]
    public async Task Rates_apply_per_operation()
    {
        var storage = new FaultInjectingStorage(_backend, seed: 7);
        storage.SetFailureRate(StorageOperation.Write, 1);
        await _backend.WriteAsync("config", new byte[] { 1 }, default);

        (await storage.ReadAsync("config", 0, null, default)).Should().Equal(1);
        await FluentActions.Awaiting(() => storage.WriteAsync("keys/k1", new byte[] { 1 }, default))
            .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.Transient);
        (await _backend.StatAsync("keys/k1", default)).Should().BeNull("a failed call does not reach the storage");
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_faults()
    {
        async Task<string> PatternAsync(int seed)
        {
            var storage = new FaultInjectingStorage(new InMemoryStorage(), seed);
            storage.SetFailureRate(0.5);
            var pattern = new System.Text.StringBuilder();
            for (int i = 0; i < 64; i++)
            {
                try
                {
                    await storage.StatAsync("config", default);
                    pattern.Append('.');
                }
                catch (StorageException)
                {
                    pattern.Append('x');
                }
            }

            return pattern.ToString();
        }

        (await PatternAsync(3)).Should().Be(await PatternAsync(3)).And.Contain("x").And.Contain(".");
        (await PatternAsync(3)).Should().NotBe(await PatternAsync(4));
    }

    [Fact]
    public async Task It_can_fail_everything_permanently_and_recover()
    {
        var storage = new FaultInjectingStorage(_backend);
        storage.FailAllWith = StorageErrorKind.Permanent;

        await FluentActions.Awaiting(() => storage.WriteAsync("config", new byte[] { 1 }, default))
            .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.Permanent);
        await FluentActions.Awaiting(() => storage.StatAsync("config", default))
            .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.Permanent);
        await FluentActions.Awaiting(async () => await storage.ListAsync("", default).ToListAsync())
            .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.Permanent);

        storage.FailAllWith = null;
        await storage.WriteAsync("config", new byte[] { 1 }, default);
        storage.InjectedFaults.Should().Be(3);
    }

    [Fact]
    public async Task A_lost_write_response_writes_the_object_and_reports_a_transient_failure()
    {
        var storage = new FaultInjectingStorage(_backend) { LostWriteResponseRate = 1 };

        Func<Task> write = () => storage.WriteAsync("data/ab/ab12", new byte[] { 1, 2 }, default);

        (await write.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.Transient);
        (await _backend.ReadAsync("data/ab/ab12", 0, null, default)).Should().Equal(1, 2);
        storage.LostWriteResponses.Should().Be(1);
        storage.InjectedFaults.Should().Be(1);
    }

    [Fact]
    public async Task The_next_calls_can_be_made_to_fail()
    {
        var storage = new FaultInjectingStorage(_backend);
        await _backend.WriteAsync("config", new byte[] { 1 }, default);
        storage.FailNext(StorageOperation.Read, 2, StorageErrorKind.NotFound);

        for (int i = 0; i < 2; i++)
        {
            await FluentActions.Awaiting(() => storage.ReadAsync("config", 0, null, default))
                .Should().ThrowAsync<StorageException>().Where(e => e.Kind == StorageErrorKind.NotFound);
        }

        (await storage.ReadAsync("config", 0, null, default)).Should().Equal(1);
    }

    [Fact]
    public async Task A_failing_listing_may_return_some_objects_first()
    {
        for (int i = 0; i < 40; i++)
        {
            await _backend.WriteAsync($"index/{i:d2}", new byte[] { 1 }, default);
        }

        var storage = new FaultInjectingStorage(_backend, seed: 1);
        storage.FailNext(StorageOperation.List, 1);
        var listed = new List<ObjectInfo>();

        Func<Task> list = async () =>
        {
            await foreach (ObjectInfo info in storage.ListAsync("index/", default))
            {
                listed.Add(info);
            }
        };

        (await list.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.Transient);
        listed.Count.Should().BeLessThanOrEqualTo(16);
        (await storage.ListAsync("index/", default).ToListAsync()).Should().HaveCount(40);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.1)]
    [InlineData(double.NaN)]
    public void Rates_outside_zero_to_one_are_rejected(double rate)
    {
        var storage = new FaultInjectingStorage(_backend);

        storage.Invoking(s => s.SetFailureRate(rate)).Should().Throw<ArgumentOutOfRangeException>();
        storage.Invoking(s => s.LostWriteResponseRate = rate).Should().Throw<ArgumentOutOfRangeException>();
    }
}
