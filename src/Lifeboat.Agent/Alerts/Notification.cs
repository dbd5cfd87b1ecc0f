namespace Lifeboat.Agent.Alerts;

/// <summary>What a notification says happened.</summary>
internal enum NotificationKind
{
    /// <summary>A condition started to hold: the one message sent when something breaks.</summary>
    Firing,

    /// <summary>A condition still holds one remind interval after the last message about it.</summary>
    Reminder,

    /// <summary>A condition that was firing no longer holds: the one "recovered" message, with how long it was broken.</summary>
    Recovered,

    /// <summary>A run of a plan started (for dead-man pings; alert channels ignore it).</summary>
    RunStarted,

    /// <summary>A run of a plan succeeded (for dead-man pings; alert channels ignore it).</summary>
    RunSucceeded,

    /// <summary>A test message asked for by a person (<c>lifeboat notify test</c>).</summary>
    Test,
}

/// <summary>
/// One message to send through the channels. Built by <see cref="AlertTracker"/> (firing, reminder, recovered) or by
/// the agent around a run (started, succeeded) and for tests. Carries no secret: its text goes to third parties.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Plan">The plan's name.</param>
/// <param name="Condition">The condition, for alert notifications; null for run and test notifications.</param>
/// <param name="At">When the notification was made.</param>
/// <param name="Since">When the condition started to hold (firing, reminder, recovered); null otherwise.</param>
/// <param name="Detail">What is wrong, or what happened; null when there is nothing to add.</param>
/// <param name="Reminder">For a reminder, which one (1 for the first); 0 otherwise.</param>
internal sealed record Notification(
    NotificationKind Kind,
    string Plan,
    AlertCondition? Condition,
    DateTimeOffset At,
    DateTimeOffset? Since = null,
    string? Detail = null,
    int Reminder = 0)
{
    /// <summary>
    /// The de-duplication key: the same for every notification about one condition of one plan (<c>PLAN/CONDITION</c>),
    /// so PagerDuty and other receivers fold a firing, its reminders and its recovery into one incident.
    /// </summary>
    public string DedupKey => Condition is { } condition ? AlertKey.For(Plan, condition) : $"{Plan}/run";

    /// <summary>How long the condition held: for a recovery, from <see cref="Since"/> to <see cref="At"/>.</summary>
    public TimeSpan? BrokenFor => Since is { } since && Kind is NotificationKind.Recovered or NotificationKind.Reminder ? At - since : null;

    /// <summary>The event name a channel's <c>events:</c> filter matches: the condition's for a firing, else the kind's.</summary>
    public string EventName => Kind switch
    {
        NotificationKind.Firing => Condition!.Value.EventName(),
        NotificationKind.Reminder => "reminder",
        NotificationKind.Recovered => "recovered",
        NotificationKind.RunStarted => "run_started",
        NotificationKind.RunSucceeded => "run_succeeded",
        _ => "test",
    };

    /// <summary>One line for a subject, a title or a chat message, e.g. <c>[lifeboat] app-6h: backup failed</c>.</summary>
    public string Summary
    {
        get
        {
            var what = Condition is { } condition ? condition.Name().Replace('_', ' ') : string.Empty;
            return Kind switch
            {
                NotificationKind.Firing => $"[lifeboat] {Plan}: {what}",
                NotificationKind.Reminder => $"[lifeboat] {Plan}: still {what} (since {Since:u})",
                NotificationKind.Recovered => $"[lifeboat] {Plan}: recovered from {what} after {Durations.Format(BrokenFor!.Value)}",
                NotificationKind.RunStarted => $"[lifeboat] {Plan}: run started",
                NotificationKind.RunSucceeded => $"[lifeboat] {Plan}: run succeeded",
                _ => $"[lifeboat] {Plan}: test message",
            };
        }
    }
}

/// <summary>The dedup key of one condition of one plan.</summary>
internal static class AlertKey
{
    /// <summary><c>PLAN/CONDITION</c>, e.g. <c>app-6h/backup_failed</c>: stable across restarts and versions.</summary>
    public static string For(string plan, AlertCondition condition) => $"{plan}/{condition.Name()}";
}

/// <summary>Durations written the way the plan file writes them.</summary>
internal static class Durations
{
    /// <summary><c>1d2h</c>, <c>1h30m</c>, <c>45s</c>: the two largest units that are not zero, whole units only.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return "0s";
        }

        var parts = new List<string>(4);
        if (duration.Days > 0) parts.Add($"{duration.Days}d");
        if (duration.Hours > 0) parts.Add($"{duration.Hours}h");
        if (duration.Minutes > 0) parts.Add($"{duration.Minutes}m");
        if (duration.Seconds > 0) parts.Add($"{duration.Seconds}s");
        return string.Concat(parts.Take(2));
    }
}
