using Lifeboat.Agent.Journal;
using Lifeboat.Agent.Notifications;

namespace Lifeboat.Agent.Alerts;

/// <summary>
/// The alert state machine wired to the journal and the channels: each observation goes through
/// <see cref="AlertTracker"/>, a changed state is saved (or, resolved, removed) in the journal before its notification
/// is dispatched, and the deliveries are returned. Started from the journal's saved states, so a restarted agent
/// continues where the stopped one was. Observations are taken one at a time, in order (a recovery is never sent
/// before its firing). Delivery failures are returned, never thrown; a journal that cannot be written throws
/// (the agent's own file: it says so and goes on).
/// </summary>
internal sealed class AlertPipeline : IDisposable
{
    private readonly AlertTracker _tracker;
    private readonly RunJournal _journal;
    private volatile NotificationDispatcher _dispatcher;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private AlertPipeline(AlertTracker tracker, RunJournal journal, NotificationDispatcher dispatcher)
    {
        _tracker = tracker;
        _journal = journal;
        _dispatcher = dispatcher;
    }

    /// <summary>Loads the unresolved alerts from <paramref name="journal"/> and returns the pipeline.</summary>
    public static async Task<AlertPipeline> StartAsync(
        RunJournal journal, NotificationDispatcher dispatcher, TimeProvider time, TimeSpan remindEvery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(dispatcher);
        var restored = await journal.LoadAlertsAsync(cancellationToken);
        return new AlertPipeline(new AlertTracker(time, remindEvery, restored), journal, dispatcher);
    }

    /// <summary>The alerts that are not resolved.</summary>
    public IReadOnlyCollection<AlertState> Active => _tracker.Active;

    /// <summary>Takes one observation; returns the deliveries of the notification it made (none when it made none).</summary>
    public async Task<IReadOnlyList<DeliveryRecord>> ObserveAsync(AlertObservation observation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(observation);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var notification = _tracker.Observe(observation);
            if (_tracker.Changed)
            {
                await SaveAsync(AlertKey.For(observation.Plan, observation.Condition), cancellationToken);
            }

            return notification is null ? [] : await _dispatcher.DispatchAsync(notification, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends the reminders that are due (the agent calls this on a timer); returns their deliveries.</summary>
    public async Task<IReadOnlyList<DeliveryRecord>> TickAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var deliveries = new List<DeliveryRecord>();
            foreach (var reminder in _tracker.Tick())
            {
                await SaveAsync(reminder.DedupKey, cancellationToken);
                deliveries.AddRange(await _dispatcher.DispatchAsync(reminder, cancellationToken));
            }

            return deliveries;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sends through <paramref name="dispatcher"/> from the next notification on (the channels of a reloaded plan file).</summary>
    public void Use(NotificationDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        _dispatcher = dispatcher;
    }

    /// <summary>Releases the gate (the journal and the dispatcher belong to the caller).</summary>
    public void Dispose() => _gate.Dispose();

    private async Task SaveAsync(string key, CancellationToken cancellationToken)
    {
        if (_tracker.Active.FirstOrDefault(state => state.Key == key) is { } state)
        {
            await _journal.SaveAlertAsync(state, cancellationToken);
        }
        else
        {
            await _journal.ResolveAlertAsync(key, cancellationToken);
        }
    }
}
