using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Storage.Tests;

/// <summary>
/// A fake clock (a <see cref="FakeTimeProvider"/> underneath) that knows which timers are
/// pending, so <see cref="RunAsync"/> can jump straight to the next timer's due time whenever the
/// code under test is waiting on it: tests of backoff and rate limits take no real time and
/// measure fake time exactly.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly FakeTimeProvider _fake = new();
    private readonly Lock _lock = new();
    private readonly HashSet<TrackedTimer> _pending = [];

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _fake.LocalTimeZone;

    public void Advance(TimeSpan delta) => _fake.Advance(delta);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this, callback);
        tracked.Inner = _fake.CreateTimer(static s => ((TrackedTimer)s!).Fire(), tracked, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        tracked.State = state;
        tracked.Change(dueTime, period);
        return tracked;
    }

    /// <summary>
    /// Runs the clock for <paramref name="task"/>: whenever a timer is pending, jumps to the
    /// earliest due time; otherwise lets real threads run. Returns the fake time that passed.
    /// </summary>
    public async Task<TimeSpan> RunAsync(Task task, TimeSpan? limit = null)
    {
        DateTimeOffset start = GetUtcNow();
        TimeSpan bound = limit ?? TimeSpan.FromHours(1);
        while (!task.IsCompleted)
        {
            DateTimeOffset? next;
            lock (_lock)
            {
                next = _pending.Count == 0 ? null : _pending.Min(t => t.Due);
            }

            if (next is null)
            {
                await Task.Delay(1); // real time: the code under test is running, not waiting
                continue;
            }

            if (next.Value - start > bound)
            {
                throw new TimeoutException($"the task did not complete within {bound} of fake time");
            }

            TimeSpan delta = next.Value - GetUtcNow();
            _fake.Advance(delta > TimeSpan.Zero ? delta : TimeSpan.Zero);
            await Task.Yield();
        }

        await task;
        return GetUtcNow() - start;
    }

    private sealed class TrackedTimer(ManualClock clock, TimerCallback callback) : ITimer
    {
        public ITimer Inner { get; set; } = null!;

        public object? State { get; set; }

        public DateTimeOffset Due { get; private set; }

        private TimeSpan Period { get; set; } = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                Period = period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    clock._pending.Remove(this);
                }
                else
                {
                    Due = clock.GetUtcNow() + dueTime;
                    clock._pending.Add(this);
                }
            }

            return Inner.Change(dueTime, Timeout.InfiniteTimeSpan);
        }

        public void Fire()
        {
            lock (clock._lock)
            {
                clock._pending.Remove(this);
            }

            if (Period != Timeout.InfiniteTimeSpan && Period > TimeSpan.Zero)
            {
                Change(Period, Period);
            }

            callback(State);
        }

        public void Dispose()
        {
            lock (clock._lock)
            {
                clock._pending.Remove(this);
            }

            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
