using System.Collections.Concurrent;
namespace Lifeboat.Storage.Tests;

public sealed class RetryingStorageTests
{
    private readonly InMemoryStorage _backend = new();
    private readonly FaultInjectingStorage _faults;
    private readonly ManualClock _clock = new();
    private readonly ConcurrentQueue<StorageRetry> _retries = new();
    private readonly RetryingStorage _storage;

    public RetryingStorageTests()
    {
        _faults = new FaultInjectingStorage(_backend, seed: 42);
        _storage = new RetryingStorage(_faults, new RetryOptions { OnRetry = _retries.Enqueue }, _clock);
    }

    [Fact]
    public async Task A_write_succeeds_after_transient_failures()
    {
        _faults.FailNext(StorageOperation.Write, 3);

        TimeSpan took = await _clock.RunAsync(_storage.WriteAsync("data/ab/ab12", new byte[] { 1, 2, 3 }, default));

        (await _backend.ReadAsync("data/ab/ab12", 0, null, default)).Should().Equal(1, 2, 3);
        _faults.CallsOf(StorageOperation.Write).Should().Be(4);
        took.Should().BeCloseTo(TimeSpan.FromTicks(_retries.Sum(r => r.Delay.Ticks)), TimeSpan.FromMilliseconds(3), "the backoffs are the only waits");
        _retries.Select(r => r.Attempt).Should().Equal(1, 2, 3);
        _retries.Should().OnlyContain(r => r.Operation == "write" && r.Name == "data/ab/ab12" && r.Error.Kind == StorageErrorKind.Transient);
    }

    [Fact]
    public async Task Backoff_is_exponential_with_full_jitter_and_capped()
    {
        var options = new RetryOptions
        {
            MaxAttempts = 9,
            BaseDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromMilliseconds(1000),
            OnRetry = _retries.Enqueue,
        };
        var storage = new RetryingStorage(_faults, options, _clock);
        await _backend.WriteAsync("config", new byte[] { 1 }, default);
        _faults.FailNext(StorageOperation.Read, 8);

        await _clock.RunAsync(storage.ReadAsync("config", 0, null, default));

        StorageRetry[] retries = _retries.ToArray();
        retries.Should().HaveCount(8);
        foreach (StorageRetry retry in retries)
        {
            double ceiling = Math.Min(1000, 100 * Math.Pow(2, retry.Attempt - 1));
            retry.Delay.TotalMilliseconds.Should().BeInRange(0, ceiling);
        }

        retries.Select(r => r.Delay).Distinct().Should().HaveCountGreaterThan(1, "the delays are jittered");
    }

    [Fact]
    public async Task It_gives_up_after_the_last_attempt_with_the_last_error()
    {
        await _backend.WriteAsync("config", new byte[] { 1 }, default);
        _faults.FailNext(StorageOperation.Read, 100);

        Task read = _storage.ReadAsync("config", 0, null, default);
        Func<Task> drive = () => _clock.RunAsync(read);

        StorageException error = (await drive.Should().ThrowAsync<StorageException>()).Which;
        error.Kind.Should().Be(StorageErrorKind.Transient);
        error.Message.Should().Contain("read of 'config'");
        _faults.CallsOf(StorageOperation.Read).Should().Be(6);
        _retries.Should().HaveCount(5);
    }

    [Fact]
    public async Task It_gives_up_when_the_time_bound_is_reached()
    {
        var options = new RetryOptions
        {
            MaxAttempts = 1000,
            BaseDelay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(1),
            MaxElapsed = TimeSpan.FromSeconds(3),
            OnRetry = _retries.Enqueue,
        };
        var storage = new RetryingStorage(_faults, options, _clock);
        _faults.FailNext(StorageOperation.Stat, 100_000);

        Task stat = storage.StatAsync("config", default);
        Func<Task> drive = () => _clock.RunAsync(stat);

        (await drive.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.Transient);
        _faults.CallsOf(StorageOperation.Stat).Should().BeLessThan(1000);
        _retries.Sum(r => r.Delay.TotalSeconds).Should().BeLessThanOrEqualTo(3);
    }

    [Theory]
    [InlineData(StorageErrorKind.NotFound)]
    [InlineData(StorageErrorKind.AlreadyExists)]
    [InlineData(StorageErrorKind.Permanent)]
    [InlineData(StorageErrorKind.OutOfSpace)]
    public async Task Errors_other_than_transient_are_never_retried(StorageErrorKind kind)
    {
        _faults.FailNext(StorageOperation.Read, 1, kind);

        Func<Task> read = () => _storage.ReadAsync("config", 0, null, default);

        (await read.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(kind);
        _faults.CallsOf(StorageOperation.Read).Should().Be(1);
        _retries.Should().BeEmpty();
    }

    [Fact]
    public async Task A_missing_object_is_reported_at_once()
    {
        Func<Task> read = () => _storage.ReadAsync("snapshots/missing", 0, null, default);

        (await read.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.NotFound);
        _retries.Should().BeEmpty();
    }

    [Fact]
    public async Task A_write_whose_response_was_lost_succeeds_on_retry()
    {
        _faults.LostWriteResponseRate = 1;

        await _clock.RunAsync(_storage.WriteAsync("data/ab/ab12", new byte[] { 1, 2, 3 }, default));

        _faults.LostWriteResponses.Should().Be(1);
        _retries.Should().ContainSingle();
        (await _backend.ReadAsync("data/ab/ab12", 0, null, default)).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task A_first_attempt_that_finds_the_name_taken_fails()
    {
        await _backend.WriteAsync("keys/k1", new byte[] { 1, 2, 3 }, default);

        Func<Task> write = () => _storage.WriteAsync("keys/k1", new byte[] { 1, 2, 3 }, default);

        (await write.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.AlreadyExists);
    }

    [Fact]
    public async Task A_retried_write_that_finds_an_object_of_another_size_fails()
    {
        await _backend.WriteAsync("keys/k1", new byte[] { 1, 2, 3, 4 }, default);
        _faults.FailNext(StorageOperation.Write, 1);

        Task write = _storage.WriteAsync("keys/k1", new byte[] { 1, 2, 3 }, default);
        Func<Task> drive = () => _clock.RunAsync(write);

        (await drive.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.AlreadyExists);
    }

    [Fact]
    public async Task Cancellation_during_the_backoff_stops_retrying()
    {
        _faults.FailNext(StorageOperation.Read, 100);
        using var cancellation = new CancellationTokenSource();

        Task read = _storage.ReadAsync("config", 0, null, cancellation.Token);
        await cancellation.CancelAsync();

        await FluentActions.Awaiting(() => read).Should().ThrowAsync<OperationCanceledException>();
        _faults.CallsOf(StorageOperation.Read).Should().Be(1);
    }

    [Fact]
    public async Task A_listing_that_fails_part_way_returns_every_object_once()
    {
        string[] names = Enumerable.Range(0, 200).Select(i => $"index/{i:d3}").ToArray();
        foreach (string name in names)
        {
            await _backend.WriteAsync(name, new byte[] { 1 }, default);
        }

        _faults.FailNext(StorageOperation.List, 5);
        var storage = new RetryingStorage(_faults, new RetryOptions { MaxAttempts = 30, BaseDelay = TimeSpan.Zero });

        var listed = new List<string>();
        await foreach (ObjectInfo info in storage.ListAsync("index/", default))
        {
            listed.Add(info.Name);
        }

        listed.Should().BeEquivalentTo(names).And.OnlyHaveUniqueItems();
        _faults.InjectedFaultsOf(StorageOperation.List).Should().Be(5);
    }

    [Fact]
    public async Task Many_operations_succeed_through_frequent_faults()
    {
        _faults.SetFailureRate(0.3);
        _faults.LostWriteResponseRate = 0.1;
        var storage = new RetryingStorage(_faults, new RetryOptions { MaxAttempts = 50, BaseDelay = TimeSpan.Zero });
        byte[][] contents = Enumerable.Range(0, 200).Select(i => BitConverter.GetBytes(i)).ToArray();

        await Parallel.ForEachAsync(Enumerable.Range(0, 200), async (i, token) =>
        {
            await storage.WriteAsync($"data/{i:d3}", contents[i], token);
            (await storage.ReadAsync($"data/{i:d3}", 0, null, token)).Should().Equal(contents[i]);
            (await storage.StatAsync($"data/{i:d3}", token))!.Size.Should().Be(4);
        });

        _backend.Count.Should().Be(200);
        _faults.InjectedFaults.Should().BeGreaterThan(100);
        _faults.LostWriteResponses.Should().BePositive();
    }
}
