using Lifeboat.Repository.Backup;

namespace Lifeboat.Repository.Changes;

/// <summary>How a <see cref="ChangeLogWriter"/> cuts and describes segments.</summary>
public sealed record ChangeLogWriterOptions
{
    /// <summary>The database captured (host:port/name, no password).</summary>
    public required string Source { get; init; }

    /// <summary>The replication slot the changes come from.</summary>
    public required string Slot { get; init; }

    /// <summary>Where the log is durable up to already: the base's consistent point, or the last segment's end.</summary>
    public required ulong StartLsn { get; init; }

    /// <summary>A segment is due this long after its first transaction was appended (the RPO).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A segment is due once its stream reaches this size.</summary>
    public long FlushBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Where the pending segment's stream is kept until it is flushed (a file deleted when closed).</summary>
    public string SpillDirectory { get; init; } = Path.GetTempPath();

    /// <summary>The program recorded in each segment.</summary>
    public string Program { get; init; } = "lifeboat";

    /// <summary>Parallelism, and the lock held (checked right before each segment object is written).</summary>
    public BackupWriterOptions Writer { get; init; } = new();
}

/// <summary>
/// Appends committed transactions to a pending segment (a local file, so a transaction of any size
/// needs bounded memory) and flushes it into the repository when it is due by size or time: the
/// stream is chunked, deduplicated, encrypted and packed like a backup's, the index written, and the
/// segment object last (its commit point). Only then does <see cref="DurableLsn"/> advance: the caller
/// acknowledges the replication slot up to it, never further.
/// </summary>
public sealed class ChangeLogWriter : IAsyncDisposable
{
    /// <summary>A segment's index marks a transaction at least this often in its stream.</summary>
    internal const long MarkEvery = 64 * 1024;

    private readonly BackupRepository _repository;
    private readonly MasterIndex _index;
    private readonly ChangeLogWriterOptions _options;
    private readonly List<ChangeSegmentMark> _marks = [];
    private FileStream? _pending;
    private SegmentEncoder? _encoder;
    private LoggedTransaction? _first;
    private LoggedTransaction? _last;
    private int _transactions;
    private long _changes;
    private long _lastMarkOffset;
    private DateTimeOffset _firstAppendedAt;
    private bool _broken;

    /// <summary>Writes segments into <paramref name="repository"/>, deduplicating against <paramref name="index"/> (and adding to it).</summary>
    public ChangeLogWriter(BackupRepository repository, MasterIndex index, ChangeLogWriterOptions options)
    {
        _repository = repository;
        _index = index;
        _options = options;
        DurableLsn = options.StartLsn;
    }

    /// <summary>Where the log in the repository is durable up to: the end of the last flushed segment (or the start).</summary>
    public ulong DurableLsn { get; private set; }

    /// <summary>Transactions appended and not flushed yet.</summary>
    public int PendingTransactions => _transactions;

    /// <summary>The pending segment's stream size so far.</summary>
    public long PendingBytes => _pending?.Position ?? 0;

    /// <summary>Whether the pending segment is due: by size, or by time since its first transaction.</summary>
    public bool FlushDue => _transactions > 0
        && (PendingBytes >= _options.FlushBytes || _repository.Context.Time.GetUtcNow() - _firstAppendedAt >= _options.FlushInterval);

    /// <summary>
    /// Appends a committed transaction and exactly <see cref="LoggedTransaction.ChangeCount"/> changes. Transactions come
    /// in commit order, each past the last one (and past the start). A failure while appending leaves the
    /// writer unusable: its pending segment is discarded and nothing of it becomes durable.
    /// </summary>
    public async Task AppendAsync(LoggedTransaction transaction, IAsyncEnumerable<LoggedChange> changes, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_broken, this);
        var after = _last?.EndLsn ?? DurableLsn;
        if (transaction.CommitLsn < after || transaction.EndLsn <= after)
        {
            throw new ArgumentException(
                $"transaction {transaction.Xid} commits at {LogPosition.Format(transaction.CommitLsn)}, not after {LogPosition.Format(after)}: transactions are appended in commit order");
        }

        _broken = true;
        if (_pending is null)
        {
            Directory.CreateDirectory(_options.SpillDirectory);
            _pending = new FileStream(
                Path.Combine(_options.SpillDirectory, "lifeboat-segment-" + Guid.NewGuid().ToString("N") + ".bin"),
                FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            _encoder = new SegmentEncoder(_pending);
            _firstAppendedAt = _repository.Context.Time.GetUtcNow();
            _first = transaction;
        }

        var offset = _pending.Position;
        if (_transactions == 0 || offset - _lastMarkOffset >= MarkEvery)
        {
            _marks.Add(new ChangeSegmentMark(LogPosition.Format(transaction.CommitLsn), transaction.CommitTime, offset, _transactions));
            _lastMarkOffset = offset;
        }

        _encoder!.WriteTransaction(transaction);
        var written = 0L;
        await foreach (var change in changes.WithCancellation(cancellationToken))
        {
            if (++written > transaction.ChangeCount)
            {
                break;
            }

            _encoder.WriteChange(change);
        }

        if (written != transaction.ChangeCount)
        {
            throw new ArgumentException($"transaction {transaction.Xid} declared {transaction.ChangeCount} changes but {(written > transaction.ChangeCount ? "more" : written)} came");
        }

        _last = transaction;
        _transactions++;
        _changes += written;
        _broken = false;
    }

    /// <summary><see cref="FlushAsync"/> when <see cref="FlushDue"/>; call it after each append and from a timer while idle.</summary>
    public Task<ChangeSegmentRecord?> FlushIfDueAsync(CancellationToken cancellationToken) =>
        FlushDue ? FlushAsync(cancellationToken) : Task.FromResult<ChangeSegmentRecord?>(null);

    /// <summary>
    /// Stores the pending segment (null when nothing is pending) and advances <see cref="DurableLsn"/> to its end once its object
    /// exists. A failure leaves it pending, to be flushed again.
    /// </summary>
    public async Task<ChangeSegmentRecord?> FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_broken, this);
        if (_pending is null || _first is null || _last is null)
        {
            return null;
        }

        await _pending.FlushAsync(cancellationToken);
        var size = _pending.Position;
        _pending.Position = 0;
        var writer = new BackupWriter(_repository, _index, _options.Writer);
        SnapshotStream stream;
        try
        {
            // the chunker reads the file to its end and leaves it open
            await writer.AddStreamAsync("changes", _pending, cancellationToken);
            stream = (await writer.FlushAsync(cancellationToken)).Single();
        }
        finally
        {
            _pending.Position = size;
        }

        var segment = new ChangeSegment
        {
            Source = _options.Source,
            Slot = _options.Slot,
            Time = _repository.Context.Time.GetUtcNow(),
            Host = _repository.Context.Identity.Host,
            StartLsn = LogPosition.Format(DurableLsn),
            FirstCommitLsn = LogPosition.Format(_first.CommitLsn),
            LastCommitLsn = LogPosition.Format(_last.CommitLsn),
            EndLsn = LogPosition.Format(_last.EndLsn),
            FirstCommitTime = _first.CommitTime,
            LastCommitTime = _last.CommitTime,
            Transactions = _transactions,
            Changes = _changes,
            Stream = stream,
            Index = [.. _marks],
            Program = _options.Program,
        };
        _options.Writer.Lock?.ThrowIfLost();
        var id = await ChangeLogStore.SaveAsync(_repository, segment, cancellationToken);
        writer.PublishPacks();
        DurableLsn = _last.EndLsn;
        await ResetAsync();
        return new ChangeSegmentRecord(id, segment);
    }

    private async Task ResetAsync()
    {
        if (_pending is not null)
        {
            await _pending.DisposeAsync();
        }

        (_pending, _encoder, _first, _last) = (null, null, null, null);
        (_transactions, _changes, _lastMarkOffset) = (0, 0, 0);
        _marks.Clear();
    }

    /// <summary>Discards what is pending (it never became durable: the slot was not acknowledged for it).</summary>
    public async ValueTask DisposeAsync() => await ResetAsync();
}
