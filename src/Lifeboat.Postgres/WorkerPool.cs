using System.Runtime.ExceptionServices;

namespace Lifeboat.Postgres;

/// <summary>
/// Work that runs at once and stops together: the first task to fail cancels the others (through the token
/// they were given), and once every task has ended that first failure is what is thrown, not the
/// cancellations (or broken connections and pipes) it caused in the others. Every task's failure is observed.
/// </summary>
internal static class WorkerPool
{
    /// <summary>
    /// Runs <paramref name="worker"/> <paramref name="count"/> times at once, each with a token that
    /// <paramref name="cancellationToken"/> or the first failure cancels; returns once all have ended.
    /// </summary>
    public static async Task RunAsync(int count, Func<CancellationToken, Task> worker, CancellationToken cancellationToken)
    {
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new List<Task>(count);
        for (var i = 0; i < count; i++)
            tasks.Add(worker(failure.Token));
        await WhenAllAsync(tasks, failure).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for every one of <paramref name="tasks"/>, started with <paramref name="failure"/>'s token: the first
    /// to fail (or be cancelled) cancels <paramref name="failure"/>, and its exception is thrown once all have ended.
    /// </summary>
    public static async Task WhenAllAsync(IReadOnlyList<Task> tasks, CancellationTokenSource failure)
    {
        Exception? first = null;
        await Task.WhenAll(tasks.Select(async task =>
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (Interlocked.CompareExchange(ref first, e, null) is null)
                    await failure.CancelAsync().ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        if (first is not null)
            ExceptionDispatchInfo.Throw(first);
    }
}
