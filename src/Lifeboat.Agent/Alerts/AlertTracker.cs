namespace Lifeboat.Agent.Alerts;

/// <summary>
/// The alert state machine, one per agent, with one alert per (plan, condition): healthy → firing → reminded (every
/// remind interval while it still holds) → resolved. Pure logic: it makes notifications and keeps states, and sends
/// nothing itself. Exactly one notification when a condition breaks, a reminder each remind interval while it stays
/// broken, exactly one "recovered" (with how long it was broken) when it is fixed, and nothing while it is healthy or
/// when the same breakage is observed again. Not thread-safe: the agent calls it from one place.
/// </summary>
internal sealed class AlertTracker
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _remindEvery;
    private readonly Dictionary<string, AlertState> _states = new(StringComparer.Ordinal);

    /// <param name="time">The clock that reminders are measured against.</param>
    /// <param name="remindEvery">The reminder interval (the plan file's <c>agent.remind_every</c>); zero sends no reminders.</param>
    /// <param name="restored">The states the journal kept from a previous process (neither re-sent nor lost).</param>
    public AlertTracker(TimeProvider time, TimeSpan remindEvery, IEnumerable<AlertState>? restored = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(remindEvery, TimeSpan.Zero);
        _time = time;
        _remindEvery = remindEvery;
        foreach (var state in restored ?? [])
        {
            _states[state.Key] = state;
        }
    }

    /// <summary>The default reminder interval when the plan file names none.</summary>
    public static readonly TimeSpan DefaultRemindEvery = TimeSpan.FromHours(4);

    /// <summary>The alerts that are not resolved, for the journal, <c>lifeboat plans</c> and the metrics.</summary>
    public IReadOnlyCollection<AlertState> Active => _states.Values;

    /// <summary>
    /// Takes one observation and returns what to send about it: a firing (the condition broke), a reminder (still
    /// broken and a remind interval has passed since the last message), a recovery (it was broken and is fixed), or
    /// nothing. <see cref="Changed"/> tells whether the state changed, for the journal.
    /// </summary>
    public Notification? Observe(AlertObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        Changed = false;
        var key = AlertKey.For(observation.Plan, observation.Condition);
        var now = _time.GetUtcNow();
        if (!_states.TryGetValue(key, out var state))
        {
            if (!observation.Broken)
            {
                return null;
            }

            _states[key] = new AlertState(observation.Plan, observation.Condition, AlertStatus.Firing, observation.At, now, 0, observation.Detail);
            Changed = true;
            return new Notification(NotificationKind.Firing, observation.Plan, observation.Condition, now, observation.At, observation.Detail);
        }

        if (!observation.Broken)
        {
            _states.Remove(key);
            Changed = true;
            var recoveredAt = observation.At > state.Since ? observation.At : now;
            return new Notification(NotificationKind.Recovered, state.Plan, state.Condition, recoveredAt, state.Since, state.Detail);
        }

        if (observation.Detail != state.Detail)
        {
            state = state with { Detail = observation.Detail };
            _states[key] = state;
            Changed = true;
        }

        return RemindIfDue(key, state, now);
    }

    /// <summary>
    /// The reminders due now for alerts that still hold without a new observation (an overdue backup is observed
    /// once; the agent calls this on a timer). Each alert gets at most one reminder per call.
    /// </summary>
    public IReadOnlyList<Notification> Tick()
    {
        Changed = false;
        var now = _time.GetUtcNow();
        var due = new List<Notification>();
        var changed = false;
        foreach (var (key, state) in _states.ToArray())
        {
            if (RemindIfDue(key, state, now) is { } reminder)
            {
                due.Add(reminder);
                changed = true;
            }
        }

        Changed = changed;
        return due;
    }

    /// <summary>Whether the last <see cref="Observe"/> or <see cref="Tick"/> changed a state (the journal saves it then).</summary>
    public bool Changed { get; private set; }

    private Notification? RemindIfDue(string key, AlertState state, DateTimeOffset now)
    {
        if (_remindEvery == TimeSpan.Zero || now - state.LastNotifiedAt < _remindEvery)
        {
            return null;
        }

        var reminded = state with { Status = AlertStatus.Reminded, LastNotifiedAt = now, Reminders = state.Reminders + 1 };
        _states[key] = reminded;
        Changed = true;
        return new Notification(NotificationKind.Reminder, state.Plan, state.Condition, now, state.Since, state.Detail, reminded.Reminders);
    }
}
