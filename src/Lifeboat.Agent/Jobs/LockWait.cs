using Lifeboat.Operations;
using Lifeboat.Repository;

namespace Lifeboat.Agent.Jobs;

/// <summary>
/// Waits for a repository another process holds locked, instead of failing at once: it tries the lock the step needs
/// (and lets it go), says through <c>status</c> who holds it and when it tries again, and backs off (first
/// <paramref name="first"/>, doubling, at most <paramref name="max"/>) until the lock is free or the job is cancelled.
/// A step that still finds the repository locked (taken in between) waits again.
/// </summary>
internal sealed class LockWait(TimeSpan first, TimeSpan max, TimeProvider time)
{
    /// <summary>Runs <paramref name="step"/> once the repository <paramref name="name"/> can be locked (<paramref name="exclusive"/> or shared).</summary>
    public async Task<T> RunAsync<T>(
        string name, JobRepositories repositories, bool exclusive, Func<CancellationToken, Task<T>> step, IProgress<string> status, CancellationToken cancellationToken)
    {
        var delay = first;
        while (true)
        {
            var repository = await repositories.OpenAsync(name, cancellationToken).ConfigureAwait(false);
            RepositoryLockedException? locked;
            try
            {
                await (await Locks.AcquireAsync(repository, exclusive, "agent: waiting to start", cancellationToken).ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
                return await step(cancellationToken).ConfigureAwait(false);
            }
            catch (RepositoryLockedException e)
            {
                locked = e;
            }

            status.Report($"waiting for the lock on repository {name}: {Holder(locked.Message)}; trying again in {Durations.Format(delay)}");
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 < max ? delay * 2 : max;
        }
    }

    /// <summary>The lock's description without the advice to a person at a terminal.</summary>
    private static string Holder(string message)
    {
        var advice = message.IndexOf(". Wait for it", StringComparison.Ordinal);
        return advice > 0 ? message[..advice] : message;
    }
}
