using System.Runtime.CompilerServices;

namespace Lifeboat.Storage.Testing;

/// <summary>
/// For tests: makes calls to the storage it wraps fail, reproducibly (seeded), to prove that
/// callers and <see cref="RetryingStorage"/> cope. Faults are
/// <see cref="StorageErrorKind.Transient"/> unless <see cref="FailAllWith"/> is set.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>a random fraction of each operation's calls fails before reaching the wrapped storage
/// (<see cref="SetFailureRate(StorageOperation, double)"/>); a failing listing first returns a
/// random number (0 to 16) of its objects, like a paginated listing failing on a later page;</item>
/// <item>a random fraction of writes is performed and then reported as failed, as when the
/// response is lost (<see cref="LostWriteResponseRate"/>);</item>
/// <item>the next calls of an operation fail deterministically (<see cref="FailNext"/>);</item>
/// <item>every call fails with a given kind, e.g. Permanent (<see cref="FailAllWith"/>).</item>
/// </list>
/// Disposing this storage disposes the storage it wraps.
/// </remarks>
public sealed class FaultInjectingStorage : IStorage, ITemporaryFileCleanup
{
    private const int MaxObjectsBeforeListFailure = 16;

    private readonly IStorage _inner;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private readonly double[] _failureRates = new double[OperationCount];
    private readonly int[] _failNext = new int[OperationCount];
    private readonly StorageErrorKind[] _failNextKind = new StorageErrorKind[OperationCount];
    private readonly long[] _calls = new long[OperationCount];
    private readonly long[] _injected = new long[OperationCount];
    private double _lostWriteResponseRate;
    private long _lostWriteResponses;
    private StorageErrorKind? _failAllWith;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="seed"/> makes the faults reproducible.</summary>
    public FaultInjectingStorage(IStorage inner, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _random = new Random(seed);
    }

    private static int OperationCount => Enum.GetValues<StorageOperation>().Length;

    /// <inheritdoc />
    public string Location => _inner.Location;

    /// <summary>The fraction (0 to 1) of writes performed and then reported as a transient failure.</summary>
    public double LostWriteResponseRate
    {
        get { lock (_lock) { return _lostWriteResponseRate; } }
        set
        {
            ValidateRate(value);
            lock (_lock) { _lostWriteResponseRate = value; }
        }
    }

    /// <summary>When set, every call fails with this kind (e.g. Permanent: revoked credentials) until reset to null.</summary>
    public StorageErrorKind? FailAllWith
    {
        get { lock (_lock) { return _failAllWith; } }
        set { lock (_lock) { _failAllWith = value; } }
    }

    /// <summary>Faults injected so far, lost write responses included.</summary>
    public long InjectedFaults
    {
        get { lock (_lock) { return _injected.Sum() + _lostWriteResponses; } }
    }

    /// <summary>Writes performed and then reported as failed.</summary>
    public long LostWriteResponses
    {
        get { lock (_lock) { return _lostWriteResponses; } }
    }

    /// <summary>Makes this fraction (0 to 1) of calls of <paramref name="operation"/> fail.</summary>
    public void SetFailureRate(StorageOperation operation, double rate)
    {
        ValidateRate(rate);
        lock (_lock) { _failureRates[(int)operation] = rate; }
    }

    /// <summary>Makes this fraction (0 to 1) of calls of every operation fail.</summary>
    public void SetFailureRate(double rate)
    {
        foreach (StorageOperation operation in Enum.GetValues<StorageOperation>())
        {
            SetFailureRate(operation, rate);
        }
    }

    /// <summary>Makes the next <paramref name="count"/> calls of <paramref name="operation"/> fail with <paramref name="kind"/>.</summary>
    public void FailNext(StorageOperation operation, int count, StorageErrorKind kind = StorageErrorKind.Transient)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_lock)
        {
            _failNext[(int)operation] = count;
            _failNextKind[(int)operation] = kind;
        }
    }

    /// <summary>Calls of <paramref name="operation"/> so far, failed ones included.</summary>
    public long CallsOf(StorageOperation operation)
    {
        lock (_lock) { return _calls[(int)operation]; }
    }

    /// <summary>Faults injected into calls of <paramref name="operation"/> (lost write responses not included).</summary>
    public long InjectedFaultsOf(StorageOperation operation)
    {
        lock (_lock) { return _injected[(int)operation]; }
    }

    /// <inheritdoc />
    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ThrowIfFaulty(StorageOperation.Write, name);
        await _inner.WriteAsync(name, content, cancellationToken);
        lock (_lock)
        {
            if (_lostWriteResponseRate == 0 || _random.NextDouble() >= _lostWriteResponseRate)
            {
                return;
            }

            _lostWriteResponses++;
        }

        throw new StorageException(StorageErrorKind.Transient, $"injected fault: the response to writing '{name}' in {Location} was lost (the object was written)");
    }

    /// <inheritdoc />
    public Task<byte[]> ReadAsync(string name, long offset, long? length, CancellationToken cancellationToken)
    {
        ThrowIfFaulty(StorageOperation.Read, name);
        return _inner.ReadAsync(name, offset, length, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        ThrowIfFaulty(StorageOperation.Stat, name);
        return _inner.StatAsync(name, cancellationToken);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StorageException? fault = NextFault(StorageOperation.List, prefix);
        if (fault is not null && fault.Kind != StorageErrorKind.Transient)
        {
            throw fault;
        }

        int returnBeforeFailing = 0;
        if (fault is not null)
        {
            lock (_lock)
            {
                returnBeforeFailing = _random.Next(MaxObjectsBeforeListFailure + 1);
            }
        }

        int returned = 0;
        await foreach (ObjectInfo info in _inner.ListAsync(prefix, cancellationToken))
        {
            if (fault is not null && returned == returnBeforeFailing)
            {
                throw fault;
            }

            returned++;
            yield return info;
        }

        if (fault is not null)
        {
            throw fault;
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        ThrowIfFaulty(StorageOperation.Delete, name);
        return _inner.DeleteAsync(name, cancellationToken);
    }

    /// <summary>Forwards to the wrapped storage (without faults) when it has temporary files; else 0.</summary>
    public Task<int> CleanupTemporaryFilesAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        _inner is ITemporaryFileCleanup cleanup ? cleanup.CleanupTemporaryFilesAsync(olderThan, cancellationToken) : Task.FromResult(0);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private void ThrowIfFaulty(StorageOperation operation, string name)
    {
        if (NextFault(operation, name) is { } fault)
        {
            throw fault;
        }
    }

    private StorageException? NextFault(StorageOperation operation, string name)
    {
        int index = (int)operation;
        StorageErrorKind kind;
        lock (_lock)
        {
            _calls[index]++;
            if (_failAllWith is { } all)
            {
                kind = all;
            }
            else if (_failNext[index] > 0)
            {
                _failNext[index]--;
                kind = _failNextKind[index];
            }
            else if (_failureRates[index] > 0 && _random.NextDouble() < _failureRates[index])
            {
                kind = StorageErrorKind.Transient;
            }
            else
            {
                return null;
            }

            _injected[index]++;
        }

        string what = operation.ToString().ToLowerInvariant();
        return new StorageException(kind, $"injected {kind} fault: {what} of '{name}' in {Location} failed");
    }

    private static void ValidateRate(double rate)
    {
        if (!(rate is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "a rate is a fraction between 0 and 1");
        }
    }
}
