using System.Runtime.CompilerServices;

namespace Lifeboat.Storage;

/// <summary>
/// Retries <see cref="StorageErrorKind.Transient"/> failures of the storage it wraps, with
/// exponential backoff and full jitter (a random delay between zero and
/// <c>min(MaxDelay, BaseDelay * 2^(attempt-1))</c>), within <see cref="RetryOptions.MaxAttempts"/>
/// and <see cref="RetryOptions.MaxElapsed"/>. Other failures (not found, already exists,
/// permanent, out of space) and cancellation are never retried. When it gives up it rethrows
/// the last error.
/// </summary>
/// <remarks>
/// <para>
/// A write that failed transiently may have succeeded at the backend (the response was lost). If
/// a retried write then meets <see cref="StorageErrorKind.AlreadyExists"/> and the existing
/// object has the size of the content being written, the write counts as a success: object
/// names are content addressed (or, like lock ids, random), so the same name means the same
/// content. A first attempt that meets AlreadyExists still fails with it.
/// </para>
/// <para>
/// A listing that fails part way is restarted and objects already returned are skipped, so
/// each object is returned once; this keeps the returned names in memory. The attempt count
/// and time bound restart whenever a listing attempt made progress.
/// </para>
/// <para>Disposing this storage disposes the storage it wraps.</para>
/// </remarks>
public sealed class RetryingStorage : IStorage, ITemporaryFileCleanup
{
    private readonly IStorage _inner;
    private readonly RetryOptions _options;
    private readonly TimeProvider _timeProvider;

    /// <summary>
    /// Wraps <paramref name="inner"/>; <paramref name="timeProvider"/> (default: the system
    /// clock) times the backoff, so tests can use a fake clock.
    /// </summary>
    public RetryingStorage(IStorage inner, RetryOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _options = options ?? new RetryOptions();
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Location => _inner.Location;

    /// <inheritdoc />
    public Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        ExecuteAsync("write", name, async (attempt, token) =>
        {
            try
            {
                await _inner.WriteAsync(name, content, token);
            }
            catch (StorageException exception) when (exception.Kind == StorageErrorKind.AlreadyExists && attempt > 1)
            {
                // An earlier attempt failed transiently but may have written the object.
                ObjectInfo? existing = await _inner.StatAsync(name, token);
                if (existing?.Size != content.Length)
                {
                    throw;
                }
            }

            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken) =>
        ExecuteAsync("read", name, (_, token) => _inner.ReadAsync(name, offset, length, token), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken) =>
        ExecuteAsync("stat", name, (_, token) => _inner.StatAsync(name, token), cancellationToken);

    /// <inheritdoc />
    public Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        ExecuteAsync("delete", name, async (_, token) =>
        {
            await _inner.DeleteAsync(name, token);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var returned = new HashSet<string>(StringComparer.Ordinal);
        int attempt = 1;
        long started = _timeProvider.GetTimestamp();
        while (true)
        {
            bool progress = false;
            StorageException? failure = null;
            IAsyncEnumerator<ObjectInfo> entries = _inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    ObjectInfo? entry = null;
                    try
                    {
                        if (await entries.MoveNextAsync())
                        {
                            entry = entries.Current;
                        }
                    }
                    catch (StorageException exception) when (exception.Kind == StorageErrorKind.Transient)
                    {
                        failure = exception;
                    }

                    if (entry is null)
                    {
                        break;
                    }

                    if (returned.Add(entry.Name))
                    {
                        progress = true;
                        yield return entry;
                    }
                }
            }
            finally
            {
                await entries.DisposeAsync();
            }

            if (failure is null)
            {
                yield break;
            }

            if (progress)
            {
                attempt = 1;
                started = _timeProvider.GetTimestamp();
            }

            if (!TryGetBackoff(attempt, started, out TimeSpan delay))
            {
                throw failure;
            }

            _options.OnRetry?.Invoke(new StorageRetry("list", prefix, attempt, delay, failure));
            await Task.Delay(delay, _timeProvider, cancellationToken);
            attempt++;
        }
    }

    /// <summary>Forwards to the wrapped storage (with retries) when it has temporary files; else 0.</summary>
    public Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        _inner is ITemporaryFileCleanup cleanup
            ? ExecuteAsync("clean up", "temporary files", (_, token) => cleanup.CleanupTemporaryFilesAsync(olderThan, token), cancellationToken)
            : Task.FromResult(0);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private async Task<T> ExecuteAsync<T>(
        string operation, string name, Func<int, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        long started = _timeProvider.GetTimestamp();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await action(attempt, cancellationToken);
            }
            catch (StorageException exception) when (exception.Kind == StorageErrorKind.Transient)
            {
                if (!TryGetBackoff(attempt, started, out TimeSpan delay))
                {
                    throw;
                }

                _options.OnRetry?.Invoke(new StorageRetry(operation, name, attempt, delay, exception));
                await Task.Delay(delay, _timeProvider, cancellationToken);
            }
        }
    }

    private bool TryGetBackoff(int failedAttempt, long started, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        if (failedAttempt >= _options.MaxAttempts)
        {
            return false;
        }

        double ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, failedAttempt - 1));
        delay = TimeSpan.FromMilliseconds(ceiling * Random.Shared.NextDouble());
        return _timeProvider.GetElapsedTime(started) + delay <= _options.MaxElapsed;
    }
}
