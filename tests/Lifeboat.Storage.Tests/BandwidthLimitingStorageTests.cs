namespace Lifeboat.Storage.Tests;

public sealed class BandwidthLimitingStorageTests
{
    private readonly ManualClock _clock = new();
    private readonly InMemoryStorage _backend = new();

    [Fact]
    public void The_token_bucket_makes_callers_wait_for_their_bytes()
    {
        var bucket = new TokenBucket(bytesPerSecond: 1000, burst: 1000, _clock);

        bucket.Take(1000).Should().Be(TimeSpan.Zero, "a full bucket pays for one second's worth at once");
        bucket.Take(500).Should().Be(TimeSpan.FromSeconds(0.5));
        bucket.Take(500).Should().Be(TimeSpan.FromSeconds(1));
        _clock.Advance(TimeSpan.FromSeconds(1));
        bucket.Take(0).Should().Be(TimeSpan.Zero);
        bucket.Take(100).Should().Be(TimeSpan.FromSeconds(0.1));
        _clock.Advance(TimeSpan.FromHours(1));
        bucket.Take(3000).Should().Be(TimeSpan.FromSeconds(2), "an idle bucket fills up to the burst only");
    }

    [Fact]
    public async Task Uploads_are_held_to_the_rate()
    {
        var storage = new BandwidthLimitingStorage(_backend, uploadBytesPerSecond: 1000, downloadBytesPerSecond: null, _clock);

        TimeSpan took = await _clock.RunAsync(WriteAllAsync(storage, 5, 1000));

        // 5,000 bytes at 1,000 B/s with a 1,000-byte burst: 4 s
        took.Should().BeCloseTo(TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(10));
        _backend.Count.Should().Be(5);
    }

    [Fact]
    public async Task Concurrent_uploads_share_the_rate()
    {
        var storage = new BandwidthLimitingStorage(_backend, uploadBytesPerSecond: 1000, downloadBytesPerSecond: null, _clock);
        Task all = Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            await storage.WriteAsync($"data/{i}a", new byte[1000], default);
            await storage.WriteAsync($"data/{i}b", new byte[1000], default);
        })));

        TimeSpan took = await _clock.RunAsync(all);

        took.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(10)).And.BeLessThan(TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Downloads_are_held_to_the_rate()
    {
        await _backend.WriteAsync("data/pack", new byte[2000], default);
        var storage = new BandwidthLimitingStorage(_backend, uploadBytesPerSecond: null, downloadBytesPerSecond: 2000, _clock);

        async Task ReadAllAsync()
        {
            for (int i = 0; i < 5; i++)
            {
                await storage.ReadAsync("data/pack", 0, null, default);
            }
        }

        TimeSpan took = await _clock.RunAsync(ReadAllAsync());

        took.Should().BeCloseTo(TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(10));
    }

    [Fact]
    public async Task An_upload_limit_does_not_slow_downloads_and_no_limit_means_none()
    {
        await _backend.WriteAsync("data/pack", new byte[100_000], default);
        var storage = new BandwidthLimitingStorage(_backend, uploadBytesPerSecond: 1, downloadBytesPerSecond: null, _clock);
        var unlimitedBackend = new InMemoryStorage();
        var unlimited = new BandwidthLimitingStorage(unlimitedBackend, null, null, _clock);
        var reads = 0;

        async Task ReadsAndUnlimitedWritesAsync()
        {
            for (int i = 0; i < 10; i++)
            {
                reads += (await storage.ReadAsync("data/pack", 0, null, default)).Length == 100_000 ? 1 : 0;
            }

            await WriteAllAsync(unlimited, 10, 100_000);
        }

        // a limit of zero fake time: any wait for bandwidth fails at once (TimeoutException) instead of hanging
        TimeSpan took = await _clock.RunAsync(ReadsAndUnlimitedWritesAsync(), limit: TimeSpan.Zero);

        took.Should().Be(TimeSpan.Zero);
        reads.Should().Be(10);
        unlimitedBackend.Count.Should().Be(10);
    }

    [Fact]
    public async Task A_wait_for_bandwidth_can_be_cancelled()
    {
        var storage = new BandwidthLimitingStorage(_backend, uploadBytesPerSecond: 10, downloadBytesPerSecond: null, _clock);
        await storage.WriteAsync("data/a", new byte[10], default);
        using var cancellation = new CancellationTokenSource();

        Task write = storage.WriteAsync("data/b", new byte[10], cancellation.Token);
        await cancellation.CancelAsync();

        await FluentActions.Awaiting(() => write).Should().ThrowAsync<OperationCanceledException>();
        (await _backend.StatAsync("data/b", default)).Should().BeNull();
    }

    private static async Task WriteAllAsync(IStorage storage, int count, int size)
    {
        for (int i = 0; i < count; i++)
        {
            await storage.WriteAsync($"data/{i}", new byte[size], default);
        }
    }
}
