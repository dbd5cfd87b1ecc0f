namespace Lifeboat.Agent.Jobs;

/// <summary>
/// A job's status lines: each phase at once (<see cref="Phase"/>), and a use case's progress records now and then
/// (<see cref="Every{T}"/>: the first at once, then at most one per <paramref name="interval"/>), never one per chunk.
/// </summary>
internal sealed class StatusLine(IProgress<string> status, TimeSpan interval, TimeProvider time)
{
    private readonly Lock _gate = new();
    private long? _last;

    /// <summary>The sink the lines go to.</summary>
    public IProgress<string> Sink => status;

    /// <summary>Says what the job does now.</summary>
    public void Phase(string line)
    {
        lock (_gate)
        {
            _last = time.GetTimestamp();
        }

        status.Report(line);
    }

    /// <summary>A sink for progress records of type <typeparamref name="T"/>, each rendered by <paramref name="render"/> when its turn comes.</summary>
    public IProgress<T> Every<T>(Func<T, string> render) => new Throttled<T>(this, render);

    private bool Due()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_last is { } last && time.GetElapsedTime(last, now) < interval)
            {
                return false;
            }

            _last = now;
            return true;
        }
    }

    private sealed class Throttled<T>(StatusLine owner, Func<T, string> render) : IProgress<T>
    {
        private int _reported;

        public void Report(T value)
        {
            if (Interlocked.Exchange(ref _reported, 1) == 0 || owner.Due())
            {
                owner.Sink.Report(render(value));
            }
        }
    }
}
