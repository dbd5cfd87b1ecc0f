using Lifeboat.Agent.Runner;

namespace Lifeboat.Agent.Tests;

public sealed class JobQueueTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly JobQueue _queue;
    private readonly List<string> _started = [];
    private readonly Dictionary<string, TaskCompletionSource> _release = [];

    public JobQueueTests() => _queue = new JobQueue(2, TimeProvider.System);

    [Fact]
    public async Task No_more_jobs_than_the_concurrency_run_at_once()
    {
        var a = _queue.Enqueue(Blocking("a", JobPriority.ScheduledBackup, "repository:1"));
        var b = _queue.Enqueue(Blocking("b", JobPriority.ScheduledBackup, "repository:2"));
        var c = _queue.Enqueue(Blocking("c", JobPriority.ScheduledBackup, "repository:3"));
        await StartedAsync("a", "b");

        Started().Should().BeEquivalentTo(["a", "b"]);
        _queue.Status().Single(s => s.Key == "c").WaitingFor.Should().Be("a free slot (2 job(s) at a time)");

        Release("a");
        await StartedAsync("c");
        Release("b", "c");
        (await Task.WhenAll(a, b, c)).Should().OnlyContain(o => o.Result == JobResult.Succeeded);
    }

    [Fact]
    public async Task Two_jobs_of_one_repository_never_run_together_and_a_later_job_with_free_resources_goes_ahead()
    {
        var first = _queue.Enqueue(Blocking("app backup", JobPriority.ScheduledBackup, "repository:main", "database:app"));
        var second = _queue.Enqueue(Blocking("crm backup", JobPriority.ScheduledBackup, "repository:main", "database:crm"));
        var other = _queue.Enqueue(Blocking("offsite check", JobPriority.Maintenance, "repository:offsite"));
        await StartedAsync("app backup", "offsite check");

        Started().Should().NotContain("crm backup");
        _queue.Status().Single(s => s.Key == "crm backup").WaitingFor.Should().Be("repository:main (in use by app backup)");

        Release("app backup");
        await StartedAsync("crm backup");
        Release("crm backup", "offsite check");
        await Task.WhenAll(first, second, other);
    }

    [Fact]
    public async Task Waiting_jobs_start_on_demand_first_then_scheduled_backups_then_maintenance_then_drills()
    {
        await using var queue = new JobQueue(1, TimeProvider.System);
        var blocker = queue.Enqueue(Blocking("running", JobPriority.ScheduledBackup, "repository:x"));
        await StartedAsync("running");
        var drill = queue.Enqueue(Recording("drill", JobPriority.Drill));
        var check = queue.Enqueue(Recording("check", JobPriority.Maintenance));
        var backup1 = queue.Enqueue(Recording("backup 1", JobPriority.ScheduledBackup));
        var backup2 = queue.Enqueue(Recording("backup 2", JobPriority.ScheduledBackup));
        var now = queue.Enqueue(Recording("pre-deploy", JobPriority.OnDemand));

        queue.Status().Skip(1).Select(s => s.Key).Should().Equal("pre-deploy", "backup 1", "backup 2", "check", "drill");
        Release("running");
        await Task.WhenAll(blocker, drill, check, backup1, backup2, now).WaitAsync(Patience);

        Started().Should().Equal("running", "pre-deploy", "backup 1", "backup 2", "check", "drill");
    }

    [Fact]
    public async Task The_same_work_asked_for_again_while_it_waits_runs_once()
    {
        await using var queue = new JobQueue(1, TimeProvider.System);
        var blocker = queue.Enqueue(Blocking("running", JobPriority.ScheduledBackup));
        await StartedAsync("running");

        var first = queue.Enqueue(Recording("app backup", JobPriority.ScheduledBackup));
        var again = queue.Enqueue(Recording("app backup", JobPriority.ScheduledBackup));
        Release("running");
        await Task.WhenAll(blocker, first, again).WaitAsync(Patience);

        again.Should().BeSameAs(first);
        Started().Count(s => s == "app backup").Should().Be(1);
    }

    [Fact]
    public async Task A_job_that_fails_is_an_outcome_with_its_error_and_the_next_job_still_runs()
    {
        await using var queue = new JobQueue(1, TimeProvider.System);
        var failing = queue.Enqueue(new Job("broken", "broken", JobPriority.ScheduledBackup, ["repository:main"],
            _ => throw new InvalidOperationException("database unreachable")));
        var next = queue.Enqueue(Recording("next", JobPriority.ScheduledBackup, "repository:main"));

        var outcome = await failing.WaitAsync(Patience);
        await next.WaitAsync(Patience);

        outcome.Result.Should().Be(JobResult.Failed);
        outcome.Error!.Message.Should().Be("database unreachable");
        (await next).Result.Should().Be(JobResult.Succeeded);
    }

    [Fact]
    public async Task Stopping_cancels_the_waiting_jobs_and_lets_a_running_one_finish_within_the_grace()
    {
        await using var queue = new JobQueue(1, TimeProvider.System);
        var running = queue.Enqueue(Blocking("running", JobPriority.ScheduledBackup));
        var waiting = queue.Enqueue(Recording("waiting", JobPriority.ScheduledBackup));
        await StartedAsync("running");

        var stopping = queue.StopAsync(Patience);
        (await waiting.WaitAsync(Patience)).Result.Should().Be(JobResult.Cancelled);
        stopping.IsCompleted.Should().BeFalse("the running job has its grace period");
        Release("running");
        await stopping.WaitAsync(Patience);

        (await running).Result.Should().Be(JobResult.Succeeded);
        Started().Should().NotContain("waiting");
        (await queue.Enqueue(Recording("late", JobPriority.OnDemand))).Result.Should().Be(JobResult.Cancelled);
    }

    [Fact]
    public async Task A_running_job_past_the_grace_is_cancelled_and_its_outcome_says_so()
    {
        await using var queue = new JobQueue(1, TimeProvider.System);
        var running = queue.Enqueue(new Job("slow", "slow", JobPriority.ScheduledBackup, [], async ct =>
        {
            Mark("slow");
            await Task.Delay(Timeout.Infinite, ct);
        }));
        await StartedAsync("slow");

        await queue.StopAsync(TimeSpan.FromMilliseconds(50)).WaitAsync(Patience);

        (await running).Result.Should().Be(JobResult.Cancelled);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_release)
        {
            foreach (var gate in _release.Values)
            {
                gate.TrySetResult();
            }
        }

        await _queue.DisposeAsync();
    }

    private Job Blocking(string key, JobPriority priority, params string[] resources)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_release)
        {
            _release[key] = gate;
        }

        return new Job(key, key, priority, resources, async ct =>
        {
            Mark(key);
            await gate.Task.WaitAsync(ct);
        });
    }

    private Job Recording(string key, JobPriority priority, params string[] resources) =>
        new(key, key, priority, resources, _ =>
        {
            Mark(key);
            return Task.CompletedTask;
        });

    private void Mark(string key)
    {
        lock (_started)
        {
            _started.Add(key);
        }
    }

    private List<string> Started()
    {
        lock (_started)
        {
            return [.. _started];
        }
    }

    private void Release(params string[] keys)
    {
        lock (_release)
        {
            foreach (var key in keys)
            {
                _release[key].TrySetResult();
            }
        }
    }

    private async Task StartedAsync(params string[] keys)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!keys.All(Started().Contains))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"{string.Join(", ", keys)} should have started");
            await Task.Delay(5);
        }
    }
}
