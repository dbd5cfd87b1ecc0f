namespace Lifeboat.Agent.Alerts;

/// <summary>
/// One fact about a plan's condition at a time: broken ("the backup of plan X failed with error E at T") or healthy
/// ("it succeeded at T"). The agent turns each run's result and each freshness, lag, storage and anomaly evaluation
/// into observations; <see cref="AlertTracker"/> turns observations into notifications.
/// </summary>
/// <param name="Plan">The plan's name.</param>
/// <param name="Condition">Which condition of the plan this is about.</param>
/// <param name="Broken">True when the condition holds (something is wrong), false when it is healthy.</param>
/// <param name="At">When it was observed (the run's end, the evaluation's time).</param>
/// <param name="Detail">What is wrong (the error, the figures), for the message; null when healthy. Never a secret.</param>
internal sealed record AlertObservation(string Plan, AlertCondition Condition, bool Broken, DateTimeOffset At, string? Detail)
{
    /// <summary>The condition holds: <paramref name="detail"/> says what is wrong.</summary>
    public static AlertObservation Failing(string plan, AlertCondition condition, DateTimeOffset at, string detail) =>
        new(plan, condition, true, at, detail);

    /// <summary>The condition does not hold (the run succeeded, the figure is back within bounds).</summary>
    public static AlertObservation Healthy(string plan, AlertCondition condition, DateTimeOffset at) =>
        new(plan, condition, false, at, null);
}
