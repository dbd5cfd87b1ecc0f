namespace Lifeboat.Agent.Runner;

/// <summary>
/// The agent's jobs: at most <c>concurrency</c> at a time, never two that share a resource (one job per repository and
/// per database), the waiting ones started by priority (on-demand, scheduled backup, maintenance, drill) and, within
/// one priority, in the order they came. A job whose resources are held does not hold back a later job whose are free.
/// The same work asked for twice while the first is still waiting runs once. A job that fails is an outcome, never an
/// exception out of the queue: one plan's failure cannot stop another's.
/// </summary>
internal sealed class JobQueue : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly int _concurrency;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Entry> _waiting = [];
    private readonly List<Entry> _running = [];
    private long _sequence;
    private bool _stopped;

    /// <summary>A queue that runs up to <paramref name="concurrency"/> jobs at a time.</summary>
    public JobQueue(int concurrency, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _concurrency = concurrency;
        _time = time;
    }

    /// <summary>
    /// Queues <paramref name="job"/> and returns its outcome's task. When the same work (<see cref="Job.Key"/>) is already
    /// waiting, that job's task is returned instead and nothing more is queued.
    /// </summary>
    public Task<JobOutcome> Enqueue(Job job)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                var now = _time.GetUtcNow();
                return Task.FromResult(new JobOutcome(JobResult.Cancelled, now, now, new OperationCanceledException("the agent is stopping")));
            }

            if (_waiting.Find(e => e.Job.Key == job.Key) is { } same)
            {
                return same.Outcome.Task;
            }

            var entry = new Entry(job, _sequence++, _time.GetUtcNow());
            _waiting.Add(entry);
            Dispatch();
            return entry.Outcome.Task;
        }
    }

    /// <summary>Whether a job of this <see cref="Job.Key"/> is waiting or running.</summary>
    public bool IsActive(string key)
    {
        lock (_gate)
        {
            return _waiting.Exists(e => e.Job.Key == key) || _running.Exists(e => e.Job.Key == key);
        }
    }

    /// <summary>The running jobs, then the waiting ones in the order they will be considered.</summary>
    public IReadOnlyList<JobStatus> Status()
    {
        lock (_gate)
        {
            var running = _running.Select(e => new JobStatus(e.Job.Key, e.Job.Description, e.Job.Priority, true, e.Since, null));
            var waiting = Ordered().Select(e => new JobStatus(e.Job.Key, e.Job.Description, e.Job.Priority, false, e.Since, WaitingFor(e)));
            return [.. running, .. waiting];
        }
    }

    /// <summary>
    /// Stops: waiting jobs end as cancelled without running; running ones get <paramref name="grace"/> to finish,
    /// then their cancellation token fires (a backup then commits nothing and releases its lock) and they are awaited.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        List<Task> running;
        lock (_gate)
        {
            _stopped = true;
            var now = _time.GetUtcNow();
            foreach (var entry in _waiting)
            {
                entry.Outcome.TrySetResult(new JobOutcome(JobResult.Cancelled, now, now, new OperationCanceledException("the agent stopped before the job started")));
            }

            _waiting.Clear();
            running = [.. _running.Select(e => (Task)e.Outcome.Task)];
        }

        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(grace, _time)).ConfigureAwait(false) != all)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Starts every waiting job that may start now. Called under the lock.</summary>
    private void Dispatch()
    {
        foreach (var entry in Ordered().ToList())
        {
            if (_running.Count >= _concurrency)
            {
                return;
            }

            if (HolderOf(entry) is null)
            {
                _waiting.Remove(entry);
                _running.Add(entry);
                entry.Since = _time.GetUtcNow();
                _ = RunAsync(entry);
            }
        }
    }

    private async Task RunAsync(Entry entry)
    {
        // off the caller's thread and out of the lock: Enqueue returns at once
        await Task.Yield();
        JobOutcome outcome;
        try
        {
            await entry.Job.RunAsync(_stopping.Token).ConfigureAwait(false);
            outcome = new JobOutcome(JobResult.Succeeded, entry.Since, _time.GetUtcNow());
        }
        catch (OperationCanceledException e) when (_stopping.IsCancellationRequested)
        {
            outcome = new JobOutcome(JobResult.Cancelled, entry.Since, _time.GetUtcNow(), e);
        }
        catch (Exception e)
        {
            outcome = new JobOutcome(JobResult.Failed, entry.Since, _time.GetUtcNow(), e);
        }

        lock (_gate)
        {
            _running.Remove(entry);
            if (!_stopped)
            {
                Dispatch();
            }
        }

        entry.Outcome.TrySetResult(outcome);
    }

    private IEnumerable<Entry> Ordered() => _waiting.OrderByDescending(e => e.Job.Priority).ThenBy(e => e.Sequence);

    /// <summary>The running job holding one of <paramref name="entry"/>'s resources, with the resource; null when all are free.</summary>
    private (Entry Holder, string Resource)? HolderOf(Entry entry)
    {
        foreach (var running in _running)
        {
            if (running.Job.Resources.Intersect(entry.Job.Resources, StringComparer.Ordinal).FirstOrDefault() is { } resource)
            {
                return (running, resource);
            }
        }

        return null;
    }

    /// <summary>A waiting job waits for a resource in use or, its resources free, for a slot (see <see cref="Dispatch"/>).</summary>
    private string WaitingFor(Entry entry) =>
        HolderOf(entry) is var (holder, resource)
            ? $"{resource} (in use by {holder.Job.Description})"
            : $"a free slot ({_concurrency} job(s) at a time)";

    private sealed class Entry(Job job, long sequence, DateTimeOffset queued)
    {
        public Job Job { get; } = job;

        public long Sequence { get; } = sequence;

        /// <summary>When it was queued, then when it started.</summary>
        public DateTimeOffset Since { get; set; } = queued;

        public TaskCompletionSource<JobOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
