namespace Lifeboat.Agent.Health;

/// <summary>Whether a plan's last good run is recent enough, and by when the next one is due.</summary>
/// <param name="Overdue">True when the run that was due has not succeeded within its grace.</param>
/// <param name="DueBy">The time after which the plan is overdue if no run succeeds first.</param>
/// <param name="Reason">For people: why the plan is (or is not yet) overdue.</param>
internal sealed record FreshnessVerdict(bool Overdue, DateTimeOffset DueBy, string Reason);

/// <summary>
/// Freshness from the plan's own schedule, not a fixed age: after a success that started at L, the next run is
/// due at the first slot after L; the plan is overdue once that slot plus the grace has passed with no newer
/// success. A plan with <c>max_age</c> is instead overdue when its last success started longer ago than that.
/// A plan that never succeeded is judged from when the agent began to watch it.
/// </summary>
internal static class Freshness
{
    /// <summary>The grace after a due slot when the plan sets none: time for the run to start (jitter) and finish.</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromHours(1);

    /// <summary>
    /// The verdict at <paramref name="now"/>. <paramref name="next"/> gives the first slot strictly after a time (with the
    /// plan's jitter); <paramref name="lastSuccess"/> is when the last successful run started, null if none did.
    /// </summary>
    public static FreshnessVerdict Evaluate(
        Func<DateTimeOffset, DateTimeOffset?> next, DateTimeOffset? lastSuccess, DateTimeOffset watchedSince, DateTimeOffset now,
        TimeSpan grace, TimeSpan? maxAge = null)
    {
        if (maxAge is { } age)
        {
            var deadline = (lastSuccess ?? watchedSince) + age;
            return new FreshnessVerdict(now > deadline, deadline, lastSuccess is null
                ? $"no successful run yet, and the plan allows {Describe(age)} without one"
                : $"the last successful run started {Describe(now - lastSuccess.Value)} ago; the plan allows {Describe(age)} (max_age)");
        }

        if (next(lastSuccess ?? watchedSince) is not { } due)
        {
            return new FreshnessVerdict(false, DateTimeOffset.MaxValue, "the schedule has no later slot: no run is due");
        }

        var dueBy = due + grace;
        var overdue = now > dueBy;
        var reason = (lastSuccess, overdue) switch
        {
            (null, true) => $"no successful run yet: the run due at {UtcTime.Format(due)} has not succeeded within its grace of {Describe(grace)}",
            (null, false) => $"no successful run yet; the first is due at {UtcTime.Format(due)}",
            (_, true) => $"the run due at {UtcTime.Format(due)} has not succeeded within its grace of {Describe(grace)}; the last success started at {UtcTime.Format(lastSuccess.Value)}",
            _ => $"the last success started at {UtcTime.Format(lastSuccess.Value)}; the next run is due at {UtcTime.Format(due)}",
        };
        return new FreshnessVerdict(overdue, dueBy, reason);
    }

    private static string Describe(TimeSpan span) => span switch
    {
        { TotalDays: >= 2 } => $"{span.TotalDays:0.#} days",
        { TotalHours: >= 2 } => $"{span.TotalHours:0.#} hours",
        { TotalMinutes: >= 2 } => $"{span.TotalMinutes:0} minutes",
        _ => $"{span.TotalSeconds:0} seconds",
    };
}
