namespace Lifeboat.Storage;

/// <summary>How <see cref="RetryingStorage"/> retries transient failures.</summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in all, the first included (default 6). 1 disables retries.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The backoff before the first retry; it doubles with each retry (default 200 ms).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff between two attempts (default 10 s).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// No retry starts when it would begin more than this long after the first attempt (default
    /// 2 minutes), however many attempts are left.
    /// </summary>
    public TimeSpan MaxElapsed { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Called before each backoff, e.g. to log the retry.</summary>
    public Action<StorageRetry>? OnRetry { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(BaseDelay, TimeSpan.Zero, nameof(BaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.Zero, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxElapsed, TimeSpan.Zero, nameof(MaxElapsed));
    }
}

/// <summary>
/// A retry about to happen: <paramref name="Operation"/> (e.g. "write") of
/// <paramref name="Name"/> failed with <paramref name="Error"/> on attempt
/// <paramref name="Attempt"/> and is retried after <paramref name="Delay"/>.
/// </summary>
public sealed record StorageRetry(string Operation, string Name, int Attempt, TimeSpan Delay, StorageException Error);
