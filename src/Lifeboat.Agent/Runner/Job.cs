namespace Lifeboat.Agent.Runner;

/// <summary>What a job does; also the order in which waiting jobs start (a higher value first).</summary>
internal enum JobPriority
{
    /// <summary>A restore drill: it can wait for everything else.</summary>
    Drill = 0,

    /// <summary>A repository check or a prune.</summary>
    Maintenance = 1,

    /// <summary>A plan's backup on its schedule (and the copies and retention that follow it).</summary>
    ScheduledBackup = 2,

    /// <summary>Asked for now by a person or a pipeline (<c>lifeboat run PLAN</c>, a pre-deploy backup).</summary>
    OnDemand = 3,
}

/// <summary>
/// One unit of work for the agent's queue. <paramref name="Resources"/> name what it needs alone, such as
/// <c>repository:main</c> and <c>database:app</c>: two jobs sharing one never run at the same time.
/// <paramref name="Key"/> says which jobs are the same work (plan and kind): one already waiting absorbs another.
/// </summary>
internal sealed record Job(string Key, string Description, JobPriority Priority, IReadOnlyList<string> Resources, Func<CancellationToken, Task> RunAsync);

/// <summary>How a job ended. <see cref="Error"/> is set when it failed.</summary>
internal sealed record JobOutcome(JobResult Result, DateTimeOffset Started, DateTimeOffset Finished, Exception? Error = null);

/// <summary>How a job ended.</summary>
internal enum JobResult
{
    /// <summary>It ran and returned.</summary>
    Succeeded,

    /// <summary>It ran and threw.</summary>
    Failed,

    /// <summary>The agent stopped it, or it never started because the agent stopped.</summary>
    Cancelled,
}

/// <summary>A job in the queue as people see it: waiting (and for what) or running (since when).</summary>
internal sealed record JobStatus(string Key, string Description, JobPriority Priority, bool Running, DateTimeOffset Since, string? WaitingFor);
