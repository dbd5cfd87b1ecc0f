namespace Lifeboat.Agent.Scheduling;

/// <summary>When a job is due: <c>every 6h</c> (<see cref="IntervalSchedule"/>) or a cron expression in a time zone (<see cref="CronSchedule"/>).</summary>
public interface ISchedule
{
    /// <summary>The schedule as written in the plan file (<c>every 6h</c>, <c>0 3 * * 0</c>).</summary>
    string Text { get; }

    /// <summary>The first slot strictly after <paramref name="after"/>, or null when there is none (a cron date that never comes).</summary>
    DateTimeOffset? Next(DateTimeOffset after);
}
