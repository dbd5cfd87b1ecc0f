namespace Lifeboat.Agent.Alerts;

/// <summary>Where an alert is in its life: firing (the first message sent), then reminded (one or more reminders sent).</summary>
/// <remarks>A resolved alert has no state: the "recovered" message is sent and the state is dropped.</remarks>
internal enum AlertStatus
{
    /// <summary>The condition holds and the first message was made.</summary>
    Firing,

    /// <summary>The condition still holds and at least one reminder was made.</summary>
    Reminded,
}

/// <summary>
/// The state of one alert that is not resolved: what the journal keeps so that a restarted agent neither sends the
/// firing message again nor forgets an alert it has to remind of and later resolve.
/// </summary>
/// <param name="Plan">The plan's name.</param>
/// <param name="Condition">The condition that holds.</param>
/// <param name="Status">Firing or reminded.</param>
/// <param name="Since">When the condition was first observed to hold.</param>
/// <param name="LastNotifiedAt">When the last message about it (firing or reminder) was made.</param>
/// <param name="Reminders">How many reminders were made.</param>
/// <param name="Detail">The latest detail observed (the error, the figures).</param>
internal sealed record AlertState(
    string Plan,
    AlertCondition Condition,
    AlertStatus Status,
    DateTimeOffset Since,
    DateTimeOffset LastNotifiedAt,
    int Reminders,
    string? Detail)
{
    /// <summary>The alert's dedup key (<see cref="AlertKey.For"/>).</summary>
    public string Key => AlertKey.For(Plan, Condition);
}
