using Lifeboat.Postgres;
using Lifeboat.Repository.Changes;

namespace Lifeboat.Operations.Changes;

/// <summary>Progress of a <see cref="ChangeRecorder"/>.</summary>
/// <param name="Transactions">Transactions appended so far.</param>
/// <param name="Segments">Segments flushed so far.</param>
/// <param name="DurableLsn">Where the log is durable up to, which is what the slot was acknowledged to.</param>
public sealed record ChangeRecordingProgress(long Transactions, int Segments, ulong DurableLsn);

/// <summary>
/// Records a capture's stream into the change log: each committed transaction is appended to the
/// writer, a segment is flushed when it is due (checked after each transaction and on a timer, so an
/// idle database still flushes what it has), and only after a segment is durable is the slot
/// acknowledged, up to <see cref="ChangeLogWriter.DurableLsn"/>. What was appended but not flushed when
/// it stops is discarded: the slot was not acknowledged for it and sends it again.
/// </summary>
public sealed class ChangeRecorder(ChangeCapture capture, ChangeLogWriter writer)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _transactions;
    private int _segments;

    /// <summary>How often the timer checks whether the pending segment is due.</summary>
    public TimeSpan CheckEvery { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Receives progress after each transaction and each flush.</summary>
    public IProgress<ChangeRecordingProgress>? Progress { get; init; }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (then throws <see cref="OperationCanceledException"/>) or the stream fails.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = FlushOnTimerAsync(stop);
        try
        {
            await foreach (var transaction in capture.StreamAsync(stop.Token).ConfigureAwait(false))
            {
                using (transaction)
                {
                    if (transaction.EndLsn <= writer.DurableLsn)
                    {
                        continue; // sent again after a restart: the log holds it already
                    }

                    await _gate.WaitAsync(stop.Token).ConfigureAwait(false);
                    try
                    {
                        await writer.AppendAsync(
                            ChangeRecords.ToLogged(transaction), transaction.ReadChangesAsync(stop.Token).Select(ChangeRecords.ToLogged), stop.Token).ConfigureAwait(false);
                        _transactions++;
                        await FlushIfDueAsync(stop.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (timer.IsFaulted)
        {
            // the timer's flush failed and stopped the stream: that failure is reported below
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await timer.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        if (timer.IsFaulted)
        {
            await timer.ConfigureAwait(false);
        }
    }

    /// <summary>Flushes due segments while the stream is idle; a failure stops the stream (through <paramref name="stop"/>) and is rethrown.</summary>
    private async Task FlushOnTimerAsync(CancellationTokenSource stop)
    {
        using var timer = new PeriodicTimer(CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                await _gate.WaitAsync(stop.Token).ConfigureAwait(false);
                try
                {
                    await FlushIfDueAsync(stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Under the gate: flushes a due segment and then, only then, acknowledges the slot.</summary>
    private async Task FlushIfDueAsync(CancellationToken cancellationToken)
    {
        if (await writer.FlushIfDueAsync(cancellationToken).ConfigureAwait(false) is not null)
        {
            _segments++;
            capture.Acknowledge(writer.DurableLsn);
            await capture.SendStatusAsync(cancellationToken).ConfigureAwait(false);
        }

        Progress?.Report(new ChangeRecordingProgress(_transactions, _segments, writer.DurableLsn));
    }
}
