namespace Lifeboat.Agent.Alerts;

/// <summary>
/// What can be wrong with a plan. Each condition of each plan has its own alert (its own state and dedup key), so a
/// failed check does not hide a failed backup, and a backup that succeeds does not resolve a drill that missed its RTO.
/// </summary>
internal enum AlertCondition
{
    /// <summary>The plan's last backup failed.</summary>
    BackupFailed,

    /// <summary>The plan's last copy to one of its copy repositories failed.</summary>
    CopyFailed,

    /// <summary>The plan's last check found a problem or could not run.</summary>
    CheckFailed,

    /// <summary>The plan's last restore drill failed.</summary>
    DrillFailed,

    /// <summary>No successful backup within the plan's freshness (its schedule plus a grace, or <c>max_age</c>).</summary>
    Overdue,

    /// <summary>A drill succeeded but missed its RTO or RPO objective.</summary>
    ObjectiveMissed,

    /// <summary>A copy repository is behind the primary by more than allowed.</summary>
    CopyLag,

    /// <summary>The repository's stored bytes are above the configured percentage of its quota.</summary>
    StorageAboveQuota,

    /// <summary>A backup's size or duration is an outlier against the plan's recent good runs (<see cref="OutlierRule"/>).</summary>
    Anomaly,

    /// <summary>A run started later after its slot than the job's <c>max_delay</c> allows (the machine slept, the queue was full).</summary>
    StartedLate,
}

/// <summary>The names the plan file uses for conditions and events (a channel's <c>events:</c> filter).</summary>
internal static class AlertConditionNames
{
    /// <summary>
    /// The event name of a condition in a channel's <c>events:</c> list: <c>failure</c> (backup, copy, check, drill),
    /// <c>overdue</c>, <c>objective</c>, <c>copy_lag</c>, <c>storage</c>, <c>anomaly</c>, <c>late</c>.
    /// </summary>
    public static string EventName(this AlertCondition condition) => condition switch
    {
        AlertCondition.BackupFailed or AlertCondition.CopyFailed or AlertCondition.CheckFailed or AlertCondition.DrillFailed => "failure",
        AlertCondition.Overdue => "overdue",
        AlertCondition.ObjectiveMissed => "objective",
        AlertCondition.CopyLag => "copy_lag",
        AlertCondition.StorageAboveQuota => "storage",
        AlertCondition.Anomaly => "anomaly",
        AlertCondition.StartedLate => "late",
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, null),
    };

    /// <summary>The stable, lower-case name of a condition, used in dedup keys, the journal and the webhook JSON.</summary>
    public static string Name(this AlertCondition condition) => condition switch
    {
        AlertCondition.BackupFailed => "backup_failed",
        AlertCondition.CopyFailed => "copy_failed",
        AlertCondition.CheckFailed => "check_failed",
        AlertCondition.DrillFailed => "drill_failed",
        AlertCondition.Overdue => "overdue",
        AlertCondition.ObjectiveMissed => "objective_missed",
        AlertCondition.CopyLag => "copy_lag",
        AlertCondition.StorageAboveQuota => "storage_above_quota",
        AlertCondition.Anomaly => "anomaly",
        AlertCondition.StartedLate => "started_late",
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, null),
    };

    /// <summary>The condition whose <see cref="Name"/> is <paramref name="name"/>, or null.</summary>
    public static AlertCondition? Parse(string name)
    {
        foreach (var condition in Enum.GetValues<AlertCondition>())
        {
            if (condition.Name() == name)
            {
                return condition;
            }
        }

        return null;
    }
}
