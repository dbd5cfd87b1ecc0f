namespace Lifeboat.Storage;

/// <summary>
/// A token bucket of bytes: it refills at <c>rate</c> bytes per second up to <c>burst</c> bytes.
/// A caller takes what it needs at once and may drive the bucket into debt, then waits until the
/// debt would be repaid; so one transfer larger than the burst still passes, and callers are
/// served in the order they arrive.
/// </summary>
internal sealed class TokenBucket
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly double _bytesPerSecond;
    private readonly double _burst;
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(long bytesPerSecond, long burst, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _bytesPerSecond = bytesPerSecond;
        _burst = burst;
        _timeProvider = timeProvider;
        _tokens = burst;
        _lastRefill = timeProvider.GetTimestamp();
    }

    /// <summary>Takes <paramref name="bytes"/> tokens and returns how long to wait before using them.</summary>
    public TimeSpan Take(long bytes)
    {
        lock (_lock)
        {
            long now = _timeProvider.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (_timeProvider.GetElapsedTime(_lastRefill, now).TotalSeconds * _bytesPerSecond));
            _lastRefill = now;
            _tokens -= bytes;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _bytesPerSecond);
        }
    }

    /// <summary>Gives back tokens taken for a transfer that did not happen.</summary>
    public void Return(long bytes)
    {
        lock (_lock)
        {
            _tokens = Math.Min(_burst, _tokens + bytes);
        }
    }

    /// <summary>Takes <paramref name="bytes"/> tokens and waits until they are paid for.</summary>
    public async Task TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait = Take(bytes);
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(wait, _timeProvider, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Return(bytes);
            throw;
        }
    }
}
