using Lifeboat.Agent.Runner;
using Lifeboat.Agent.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace Lifeboat.Agent.Tests;

public sealed class SchedulerTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Day = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private static readonly IntervalSchedule Hourly = new(TimeSpan.FromHours(1));
    private readonly FakeTimeProvider _clock = new(Day.AddHours(10).AddMinutes(30));
    private readonly JobQueue _queue;
    private readonly Ledger _ledger = new();
    private readonly List<SlotEvent> _events = [];
    private readonly List<DateTimeOffset> _ran = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _hold = new();
    private Task? _running;

    public SchedulerTests()
    {
        _queue = new JobQueue(2, _clock);
        _hold.SetResult();
    }

    [Fact]
    public async Task Each_slot_runs_once_at_the_slot_plus_the_plans_jitter()
    {
        _ledger.Slots["app backup"] = Day.AddHours(10);
        Start(jitter: TimeSpan.FromMinutes(5));

        await AdvanceToAsync(Day.AddHours(11).AddMinutes(4));
        Ran().Should().BeEmpty();
        await AdvanceToAsync(Day.AddHours(11).AddMinutes(5));
        await EventuallyAsync(() => Ran().Count == 1);
        await AdvanceToAsync(Day.AddHours(12).AddMinutes(5));
        await EventuallyAsync(() => Ran().Count == 2);

        Ran().Should().Equal(Day.AddHours(11), Day.AddHours(12));
        await EventuallyAsync(() => _ledger.Slots["app backup"] == Day.AddHours(12));
    }

    [Fact]
    public async Task A_restart_after_a_slot_ran_does_not_run_it_again()
    {
        _ledger.Slots["app backup"] = Day.AddHours(10);
        Start();

        await Task.Delay(200);

        Ran().Should().BeEmpty("the 10:00 slot ran before the restart at 10:30");
        Events().Should().BeEmpty();
    }

    [Fact]
    public async Task An_agent_killed_during_a_run_runs_that_slot_once_when_it_starts_again()
    {
        // the 10:00 run was under way when the agent was killed: the journal never recorded its end
        _ledger.Slots["app backup"] = Day.AddHours(9);
        Start();

        await EventuallyAsync(() => Ran().Count == 1);

        Ran().Should().Equal(Day.AddHours(10));
        Events().Single().Should().BeEquivalentTo(new { Slot = (DateTimeOffset?)Day.AddHours(10), Action = SlotAction.Queued, Late = true });
        await EventuallyAsync(() => _ledger.Slots["app backup"] == Day.AddHours(10));
    }

    [Fact]
    public async Task A_slot_whose_previous_run_is_still_going_is_skipped_and_said_so()
    {
        _ledger.Slots["app backup"] = Day.AddHours(10);
        _hold = new TaskCompletionSource();
        Start();

        await AdvanceToAsync(Day.AddHours(11));
        await EventuallyAsync(() => Ran().Count == 1);
        await AdvanceToAsync(Day.AddHours(12));
        await EventuallyAsync(() => Events().Count == 2);

        Events()[1].Should().BeEquivalentTo(new { Slot = (DateTimeOffset?)Day.AddHours(12), Action = SlotAction.Skipped });
        Events()[1].Reason.Should().Contain("still going");
        _hold.SetResult();
        Ran().Should().ContainSingle();
    }

    [Fact]
    public async Task After_the_machine_slept_through_slots_one_late_run_starts_and_the_schedule_goes_on_from_now()
    {
        _ledger.Slots["app backup"] = Day.AddHours(10);
        Start();

        await AdvanceToAsync(Day.AddHours(13).AddMinutes(40));
        await EventuallyAsync(() => Ran().Count == 1);
        await AdvanceToAsync(Day.AddHours(14));
        await EventuallyAsync(() => Ran().Count == 2);

        Ran().Should().Equal(Day.AddHours(11), Day.AddHours(14));
        Events()[0].Late.Should().BeTrue("it started 2 h 40 min after its 11:00 slot");
        Events()[0].Reason.Should().Be("started 160 minutes after its slot, later than the max delay of 15 minutes");
        Events()[1].Late.Should().BeFalse();
    }

    public async ValueTask DisposeAsync()
    {
        _hold.TrySetResult();
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }

        await _queue.DisposeAsync();
        _stop.Dispose();
    }

    private void Start(TimeSpan jitter = default)
    {
        var work = new ScheduledWork("app backup", t => Hourly.Next(t), jitter, RunMissed: true, TimeSpan.FromMinutes(15), slot => new Job(
            "app backup", "app backup", JobPriority.ScheduledBackup, ["repository:main"], async ct =>
            {
                lock (_ran)
                {
                    _ran.Add(slot);
                }

                await _hold.Task.WaitAsync(ct);
            }));
        var scheduler = new Scheduler(_queue, _clock, _ledger, e =>
        {
            lock (_events)
            {
                _events.Add(e);
            }
        });
        _running = scheduler.RunAsync([work], Day, _stop.Token);
    }

    private List<DateTimeOffset> Ran()
    {
        lock (_ran)
        {
            return [.. _ran];
        }
    }

    private List<SlotEvent> Events()
    {
        lock (_events)
        {
            return [.. _events];
        }
    }

    /// <summary>Moves the fake clock in steps, letting the scheduler's timers fire and its loop go round in between.</summary>
    private async Task AdvanceToAsync(DateTimeOffset time)
    {
        await Task.Delay(50);
        _clock.SetUtcNow(time);
        await Task.Delay(50);
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the scheduler should have got there");
            await Task.Delay(10);
        }
    }

    private sealed class Ledger : ISlotLedger
    {
        public Dictionary<string, DateTimeOffset> Slots { get; } = [];

        public Task<DateTimeOffset?> LastRunSlotAsync(string key, CancellationToken cancellationToken)
        {
            lock (Slots)
            {
                return Task.FromResult<DateTimeOffset?>(Slots.TryGetValue(key, out var slot) ? slot : null);
            }
        }

        public Task RecordAsync(string key, DateTimeOffset slot, CancellationToken cancellationToken)
        {
            lock (Slots)
            {
                Slots[key] = slot;
            }

            return Task.CompletedTask;
        }
    }
}
